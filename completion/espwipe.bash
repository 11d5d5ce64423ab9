# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for espwipe(1).
#
# Completes the commands, the options, the values of --reset, --after and --link, a
# few common --baud rates and --flash-size values, and serial ports (for -p/--port,
# which may be repeated, and after `autowipe`): /dev/ttyUSB*, /dev/ttyACM*,
# /dev/serial/by-id/*, /dev/serial/by-path/*; --match takes a free allow-list rule.  It needs nothing from the bash-completion package.
# ESPWIPE_COMP_DEV replaces /dev in those patterns (for the tests).

# COMPREPLY = the words of $1 that start with $2.
_espwipe_words()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_espwipe_ports()
{
	local dev=${ESPWIPE_COMP_DEV:-/dev} p
	local -a found=()

	for p in "$dev"/ttyUSB* "$dev"/ttyACM* "$dev"/serial/by-id/* "$dev"/serial/by-path/*; do
		[[ -e $p ]] && found+=("$p")
	done
	# Device names have no white space or quotes; compgen -W is safe here.
	_espwipe_words "${found[*]}" "$1"
}

_espwipe()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=
	local commands="erase verify info reset bootloader list autowipe log"
	local options="--port --baud --reset --after --link --region --verify --full --flash-size --force
		--connect-attempts --all --each --match --json --lines --follow --quiet --verbose --help
		--version"
	local i w cmd='' nargs=0

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# "--reset=ti": bash splits at '=' when it is in COMP_WORDBREAKS (the
	# default); otherwise the option and the value arrive as one word.
	if [[ $cur == "=" ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	case $prev in
	--reset)
		_espwipe_words "auto sysfs tiocm none" "$cur"
		return 0
		;;
	--after)
		_espwipe_words "hard-reset stay" "$cur"
		return 0
		;;
	--link)
		_espwipe_words "ch341 cp210x ftdi pl2303 cdc-acm usb-serial-jtag" "$cur"
		return 0
		;;
	-p | --port)
		_espwipe_ports "$cur"
		return 0
		;;
	-b | --baud)
		_espwipe_words "115200 230400 460800 921600 74880" "$cur"
		return 0
		;;
	--flash-size)
		_espwipe_words "1M 2M 4M 8M 16M 32M" "$cur"
		return 0
		;;
	--region | --connect-attempts | -n | --lines | --match)
		return 0
		;;
	esac

	# The command (first word that is neither an option nor an option's
	# value), and how many words follow it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == "=" ]]; then
			((i++))
			continue
		fi
		if [[ $w == -* ]]; then
			case $w in
			-p | --port | -b | --baud | --reset | --after | --link | --region | --flash-size | --connect-attempts | -n | --lines | --match)
				[[ ${COMP_WORDS[i + 1]-} != "=" ]] && ((i++))
				;;
			esac
			continue
		fi
		if [[ -z $cmd ]]; then
			cmd=$w
		else
			((nargs++))
		fi
	done

	if [[ $cur == -* ]]; then
		_espwipe_words "$options" "$cur"
		return 0
	fi
	if [[ -z $cmd ]]; then
		_espwipe_words "$commands" "$cur"
	elif [[ $cmd == autowipe ]] && ((nargs == 0)); then
		_espwipe_ports "$cur"
	fi
	return 0
}

complete -F _espwipe espwipe
