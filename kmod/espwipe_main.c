// SPDX-License-Identifier: GPL-2.0
/*
 * espwipe: DTR/RTS sequences on ch341 and cp210x usb-serial ports, to put an
 * ESP8266 board into its ROM serial bootloader (or reset it) from sysfs.
 *
 * The module owns no device.  It watches the usb-serial bus, adds an
 * attribute group to every port bound to the "ch341-uart" or "cp210x"
 * driver and changes the lines only through that driver's tiocmset(), on
 * the user's open tty or on a short in-kernel open of the port.
 *
 * Timing: the writer gets the tty, then hands the steps to the port's own
 * kthread_worker, which runs at SCHED_FIFO (sched_set_fifo_low()), so a
 * hold ends when its hrtimer fires, not when CFS next picks the writer.
 * Each hold is measured from the start of the request before it.  The
 * writer waits killably; a kill, an unplug or an unload aborts the steps.
 *
 * Lifetime rules (see kmod/README.md):
 *  - a port's group is removed while its kobject is still in sysfs: on
 *    BUS_NOTIFY_DEL_DEVICE or BUS_NOTIFY_UNBIND_DRIVER, or in module exit;
 *  - @dying is set and waiters woken before the removal, which then drains
 *    any running store() quickly;
 *  - store() never takes a device_lock: the unplug path holds the USB
 *    device and interface locks while it waits for us;
 *  - entries leave the list only after their group is gone, so a second
 *    detacher finds the entry and waits on @removed;
 *  - a writer returns only after its job has finished on the worker, so
 *    once the group is gone (every store() drained) the worker is idle and
 *    is destroyed before the entry is freed or the module text goes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/wait.h>
#include <linux/usb.h>
#include <linux/usb/serial.h>

#include "espwipe_compat.h"
#include "espwipe_seq.h"

/* The drivers whose ports we attach to, by usb_serial_driver name. */
#define ESPWIPE_DRV_CH341	"ch341-uart"
#define ESPWIPE_DRV_CP210X	"cp210x"

/*
 * If the tty is in use but not (or no longer) attached to the port, as
 * during a user's open or close, look again this many times, this far apart.
 */
#define ESPWIPE_OPEN_TRIES	5
#define ESPWIPE_OPEN_RETRY_MS	20

struct espwipe_port {
	struct list_head node;		/* in espwipe.ports */
	struct kref kref;		/* list + waiters */
	struct usb_serial_port *port;	/* get_device() held */
	bool detaching;			/* under espwipe.lock */
	struct completion removed;	/* group gone from sysfs */

	struct mutex run_lock;		/* one sequence at a time; @worker */
	struct kthread_worker *worker;	/* runs the steps, made on first use */
	struct mutex cfg_lock;		/* the two sequences below */
	struct espwipe_seq boot_seq;
	struct espwipe_seq reset_seq;

	wait_queue_head_t wq;		/* woken on @dying and job aborts */
	bool dying;

	struct device_attribute attr_enter;
	struct device_attribute attr_reset;
	struct device_attribute attr_boot_seq;
	struct device_attribute attr_reset_seq;
	struct attribute *attrs[5];
	struct attribute_group group;
};

/* The tty a sequence runs on, and how we got it. */
struct espwipe_tty {
	struct tty_struct *tty;
	bool kopened;
};

/*
 * One sequence, handed from the writer to the port's worker.  It lives on
 * the writer's stack: the writer returns only after @finished.
 */
struct espwipe_job {
	struct kthread_work work;
	struct espwipe_port *ep;
	struct tty_struct *tty;
	const struct espwipe_seq *seq;
	bool abort;			/* the writer was killed */
	unsigned int steps_run;
	int ret;
	struct completion finished;
};

static struct {
	struct mutex lock;		/* ports, exiting, detaching flags */
	struct list_head ports;
	bool exiting;
	/*
	 * const from 6.3-6.5 on (bus_register_notifier() and friends as
	 * well): take whatever struct device_driver has.
	 */
	typeof(((struct device_driver *)0)->bus) bus;
} espwipe = {
	.lock = __MUTEX_INITIALIZER(espwipe.lock),
	.ports = LIST_HEAD_INIT(espwipe.ports),
};

/* ---- module parameters: defaults for newly attached ports ---- */

/* count == 0 means "not given", filled from the built-in text at init. */
static struct espwipe_seq espwipe_param_boot;
static struct espwipe_seq espwipe_param_reset;

static int espwipe_param_set(const char *val, const struct kernel_param *kp)
{
	struct espwipe_seq seq;
	int ret;

	ret = espwipe_seq_parse(&seq, val, strlen(val));
	if (ret)
		return ret;
	*(struct espwipe_seq *)kp->arg = seq;
	return 0;
}

static int espwipe_param_get(char *buf, const struct kernel_param *kp)
{
	char text[ESPWIPE_SEQ_TEXT_MAX];

	espwipe_seq_format(kp->arg, text, sizeof(text));
	return scnprintf(buf, PAGE_SIZE, "%s\n", text);
}

static const struct kernel_param_ops espwipe_param_ops = {
	.set = espwipe_param_set,
	.get = espwipe_param_get,
};

module_param_cb(bootloader_sequence, &espwipe_param_ops, &espwipe_param_boot,
		0644);
MODULE_PARM_DESC(bootloader_sequence,
		 "Default bootloader_sequence of new ports (default "
		 ESPWIPE_SEQ_DEFAULT_BOOTLOADER ")");
module_param_cb(reset_sequence, &espwipe_param_ops, &espwipe_param_reset,
		0644);
MODULE_PARM_DESC(reset_sequence,
		 "Default reset_sequence of new ports (default "
		 ESPWIPE_SEQ_DEFAULT_RESET ")");

static int espwipe_param_defaults(void)
{
	int ret = 0;

	kernel_param_lock(THIS_MODULE);
	if (!espwipe_param_boot.count)
		ret = espwipe_seq_parse(&espwipe_param_boot,
					ESPWIPE_SEQ_DEFAULT_BOOTLOADER,
					strlen(ESPWIPE_SEQ_DEFAULT_BOOTLOADER));
	if (!ret && !espwipe_param_reset.count)
		ret = espwipe_seq_parse(&espwipe_param_reset,
					ESPWIPE_SEQ_DEFAULT_RESET,
					strlen(ESPWIPE_SEQ_DEFAULT_RESET));
	kernel_param_unlock(THIS_MODULE);
	return ret;
}

/* ---- running a sequence ---- */

static bool espwipe_dying(struct espwipe_port *ep)
{
	return READ_ONCE(ep->dying);
}

/*
 * Sleep @ms on an hrtimer in the writer's context (only between open
 * attempts, never inside a sequence).  Returns 0 after the full time,
 * -ENODEV at once when the port goes away or the module unloads, -EINTR if
 * the writer is killed.  Killable, not interruptible: a caught signal such
 * as a shell's SIGCHLD must not fail the write.
 */
static int espwipe_sleep(struct espwipe_port *ep, unsigned int ms)
{
	int ret;

	if (espwipe_dying(ep))
		return -ENODEV;
	if (!ms)
		return 0;
	ret = __wait_event_hrtimeout(ep->wq, espwipe_dying(ep),
				     ms_to_ktime(ms), TASK_KILLABLE);
	if (ret == -ETIME)
		return 0;
	if (ret == 0)
		return -ENODEV;
	return -EINTR;
}

/*
 * Finish an in-kernel open: tty_kopen_exclusive() returned @tty locked and
 * installed; run the driver's open as tty_open() would with no file.
 */
static int espwipe_tty_kopen_finish(struct usb_serial_port *port,
				    struct tty_struct *tty,
				    struct espwipe_tty *et)
{
	int ret;

	ret = tty->ops->open(tty, NULL);
	if (ret) {
		/*
		 * tty_port_open() counted this open even though activation
		 * failed; tty_open() undoes it with ->close() as well.
		 */
		tty->ops->close(tty, NULL);
		tty_unlock(tty);
		tty_kclose(tty);
		dev_dbg(&port->dev, "in-kernel open failed: %d\n", ret);
		return ret;
	}
	tty_unlock(tty);
	et->tty = tty;
	et->kopened = true;
	return 0;
}

/*
 * Get a tty for @ep's port: the user's if the port is open, else an
 * in-kernel exclusive open of our own (user opens get -EBUSY meanwhile).
 */
static int espwipe_tty_get(struct espwipe_port *ep, struct espwipe_tty *et)
{
	struct usb_serial_port *port = ep->port;
	struct tty_struct *tty;
	dev_t devt;
	int tries, ret;

	/* The console's lines belong to the console. */
	if (port->port.console)
		return -EBUSY;

	/* The port device and its tty share a name: "ttyUSB<n>". */
	ret = tty_dev_name_to_number(dev_name(&port->dev), &devt);
	if (ret)
		return ret;

	for (tries = 0; tries < ESPWIPE_OPEN_TRIES; tries++) {
		tty = tty_port_tty_get(&port->port);
		if (tty) {
			et->tty = tty;
			et->kopened = false;
			return 0;
		}

		tty = espwipe_tty_kopen_exclusive(devt);
		if (!IS_ERR(tty))
			return espwipe_tty_kopen_finish(port, tty, et);
		if (PTR_ERR(tty) != -EBUSY)
			return PTR_ERR(tty);

		/* Opened by someone else since we looked: find their tty. */
		ret = espwipe_sleep(ep, ESPWIPE_OPEN_RETRY_MS);
		if (ret)
			return ret;
	}
	return -EBUSY;
}

static void espwipe_tty_put(struct espwipe_tty *et)
{
	struct tty_struct *tty = et->tty;

	if (!et->kopened) {
		tty_kref_put(tty);
		return;
	}

	tty_lock(tty);
	/*
	 * An unplug hangs up our tty and zeroes the port's open count;
	 * closing it again would only trip the count check.
	 */
	if (!test_bit(TTY_HUPPED, &tty->flags))
		tty->ops->close(tty, NULL);
	tty_unlock(tty);
	tty_kclose(tty);
}

/* ---- on the worker ---- */

/* Why a job must stop now, or 0. */
static int espwipe_job_stop(struct espwipe_job *job)
{
	if (espwipe_dying(job->ep))
		return -ENODEV;
	if (READ_ONCE(job->abort))
		return -EINTR;
	return 0;
}

/*
 * Sleep until @deadline on an hrtimer, or until the job must stop.  On the
 * worker, which takes no signals: TASK_IDLE, so a 5 s hold neither counts
 * as load nor looks like a hung task.
 */
static int espwipe_job_sleep_until(struct espwipe_job *job, ktime_t deadline)
{
	ktime_t left;
	int ret;

	ret = espwipe_job_stop(job);
	if (ret)
		return ret;
	left = ktime_sub(deadline, ktime_get());
	if (ktime_to_ns(left) <= 0)
		return 0;
	ret = __wait_event_hrtimeout(job->ep->wq, espwipe_job_stop(job), left,
				     TASK_IDLE);
	if (ret == -ETIME)
		return 0;
	return espwipe_job_stop(job);
}

/* A line step: exactly one tiocmset() call however many lines. */
static int espwipe_job_lines(struct espwipe_job *job, unsigned int mask,
			     unsigned int level)
{
	unsigned int set = 0, clear = 0;

	if (mask & ESPWIPE_LINE_DTR) {
		if (level & ESPWIPE_LINE_DTR)
			set |= TIOCM_DTR;
		else
			clear |= TIOCM_DTR;
	}
	if (mask & ESPWIPE_LINE_RTS) {
		if (level & ESPWIPE_LINE_RTS)
			set |= TIOCM_RTS;
		else
			clear |= TIOCM_RTS;
	}
	return job->tty->ops->tiocmset(job->tty, set, clear);
}

/*
 * Run the steps.  A wait ends a fixed time after the start of the line
 * request before it (consecutive waits add up), so the time the request
 * itself takes is part of the hold rather than added to it; a wait that
 * has already passed does not sleep.
 */
static void espwipe_job_fn(struct kthread_work *work)
{
	struct espwipe_job *job = container_of(work, struct espwipe_job, work);
	const struct espwipe_seq *seq = job->seq;
	unsigned int i, mask, level;
	ktime_t deadline = ktime_get();
	int ret = 0;

	for (i = 0; i < seq->count && !ret; i++) {
		const struct espwipe_step *step = &seq->steps[i];

		ret = espwipe_job_stop(job);
		if (ret)
			break;
		if (espwipe_step_lines(step, &mask, &level)) {
			deadline = ktime_get();
			ret = espwipe_job_lines(job, mask, level);
		} else {
			deadline = ktime_add_ms(deadline, step->ms);
			ret = espwipe_job_sleep_until(job, deadline);
		}
	}
	job->steps_run = i;
	job->ret = ret;
	/* The writer may return and free @job as soon as this is done. */
	complete(&job->finished);
}

/* ---- in the writer ---- */

/* The port's worker, made on first use; the caller holds ep->run_lock. */
static int espwipe_worker_get(struct espwipe_port *ep)
{
	struct kthread_worker *worker;

	lockdep_assert_held(&ep->run_lock);
	if (ep->worker)
		return 0;
	worker = kthread_create_worker(0, "espwipe/%s", dev_name(&ep->port->dev));
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	sched_set_fifo_low(worker->task);
	ep->worker = worker;
	return 0;
}

/*
 * Hand @seq to the worker and wait for it.  A fatal signal aborts the job
 * (the worker stops at its next step or wait) and still waits for the
 * worker to let go of it: at most one request's USB timeout.
 */
static int espwipe_run_job(struct espwipe_port *ep, struct tty_struct *tty,
			   const struct espwipe_seq *seq,
			   unsigned int *steps_run)
{
	struct espwipe_job job = {
		.ep = ep,
		.tty = tty,
		.seq = seq,
	};

	kthread_init_work(&job.work, espwipe_job_fn);
	init_completion(&job.finished);
	kthread_queue_work(ep->worker, &job.work);
	if (wait_for_completion_killable(&job.finished)) {
		WRITE_ONCE(job.abort, true);
		wake_up_all(&ep->wq);
		wait_for_completion(&job.finished);
	}
	*steps_run = job.steps_run;
	return job.ret;
}

/* Run @seq on @ep's port; the caller holds ep->run_lock. */
static int espwipe_run_locked(struct espwipe_port *ep,
			      const struct espwipe_seq *seq)
{
	struct device *dev = &ep->port->dev;
	struct espwipe_tty et;
	unsigned int steps_run = 0;
	ktime_t start;
	int ret;

	ret = espwipe_worker_get(ep);
	if (ret)
		goto out;
	ret = espwipe_tty_get(ep, &et);
	if (ret)
		goto out;

	if (!et.tty->ops->tiocmset) {
		ret = -ENOTTY;
	} else {
		start = ktime_get();
		ret = espwipe_run_job(ep, et.tty, seq, &steps_run);
		dev_dbg(dev, "ran %u of %u steps in %lld us (%s tty): %d\n",
			steps_run, seq->count,
			ktime_us_delta(ktime_get(), start),
			et.kopened ? "in-kernel" : "user", ret);
	}
	espwipe_tty_put(&et);
out:
	/*
	 * An unplug hangs the tty up (-EIO) before we hear of it, and a
	 * detach aborts waits: both are "the port is gone".
	 */
	if (ret && (espwipe_dying(ep) || ep->port->serial->disconnected))
		return -ENODEV;
	if (ret && ret != -EINTR)
		dev_warn(dev, "line sequence failed: %d\n", ret);
	return ret;
}

/*
 * Run @seq, or the port's bootloader (@reset false) or reset sequence when
 * @seq is NULL.  Writers queue on run_lock; returns 0 or a negative errno.
 */
static int espwipe_run(struct espwipe_port *ep, const struct espwipe_seq *seq,
		       bool reset)
{
	struct espwipe_seq configured;
	int ret;

	/*
	 * Nothing has happened yet, so a signal may restart the write (or
	 * fail it with EINTR); once running, a sequence is only cut short by
	 * a fatal signal or the port going away.
	 */
	if (mutex_lock_interruptible(&ep->run_lock))
		return -ERESTARTSYS;
	if (espwipe_dying(ep)) {
		ret = -ENODEV;
		goto out;
	}
	if (!seq) {
		mutex_lock(&ep->cfg_lock);
		configured = reset ? ep->reset_seq : ep->boot_seq;
		mutex_unlock(&ep->cfg_lock);
		seq = &configured;
	}
	ret = espwipe_run_locked(ep, seq);
out:
	mutex_unlock(&ep->run_lock);
	return ret;
}

/* ---- sysfs attributes ---- */

static ssize_t enter_bootloader_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_enter);
	struct espwipe_seq seq;
	int ret;

	if (sysfs_streq(buf, "1")) {
		ret = espwipe_run(ep, NULL, false);
	} else {
		ret = espwipe_seq_parse(&seq, buf, count);
		if (!ret)
			ret = espwipe_run(ep, &seq, false);
	}
	return ret ? ret : count;
}

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_reset);
	int ret;

	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	ret = espwipe_run(ep, NULL, true);
	return ret ? ret : count;
}

static ssize_t espwipe_seq_show(struct espwipe_port *ep,
				const struct espwipe_seq *seq, char *buf)
{
	char text[ESPWIPE_SEQ_TEXT_MAX];

	mutex_lock(&ep->cfg_lock);
	espwipe_seq_format(seq, text, sizeof(text));
	mutex_unlock(&ep->cfg_lock);
	return sysfs_emit(buf, "%s\n", text);
}

static ssize_t espwipe_seq_store(struct espwipe_port *ep,
				 struct espwipe_seq *seq, const char *buf,
				 size_t count)
{
	struct espwipe_seq parsed;

	if (espwipe_dying(ep))
		return -ENODEV;
	if (espwipe_seq_parse(&parsed, buf, count))
		return -EINVAL;
	mutex_lock(&ep->cfg_lock);
	*seq = parsed;
	mutex_unlock(&ep->cfg_lock);
	return count;
}

static ssize_t bootloader_sequence_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_boot_seq);

	return espwipe_seq_show(ep, &ep->boot_seq, buf);
}

static ssize_t bootloader_sequence_store(struct device *dev,
					 struct device_attribute *attr,
					 const char *buf, size_t count)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_boot_seq);

	return espwipe_seq_store(ep, &ep->boot_seq, buf, count);
}

static ssize_t reset_sequence_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_reset_seq);

	return espwipe_seq_show(ep, &ep->reset_seq, buf);
}

static ssize_t reset_sequence_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	struct espwipe_port *ep = container_of(attr, struct espwipe_port,
					       attr_reset_seq);

	return espwipe_seq_store(ep, &ep->reset_seq, buf, count);
}

static void espwipe_attr_init(struct device_attribute *da, const char *name,
			      umode_t mode,
			      ssize_t (*show)(struct device *,
					      struct device_attribute *,
					      char *),
			      ssize_t (*store)(struct device *,
					       struct device_attribute *,
					       const char *, size_t))
{
	sysfs_attr_init(&da->attr);
	da->attr.name = name;
	da->attr.mode = mode;
	da->show = show;
	da->store = store;
}

/* ---- attach / detach ---- */

static void espwipe_port_release(struct kref *kref)
{
	struct espwipe_port *ep = container_of(kref, struct espwipe_port, kref);

	put_device(&ep->port->dev);
	kfree(ep);
}

static struct espwipe_port *espwipe_port_alloc(struct device *dev)
{
	struct espwipe_port *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return NULL;

	kref_init(&ep->kref);
	ep->port = to_usb_serial_port(dev);
	init_completion(&ep->removed);
	mutex_init(&ep->run_lock);
	mutex_init(&ep->cfg_lock);
	init_waitqueue_head(&ep->wq);

	kernel_param_lock(THIS_MODULE);
	ep->boot_seq = espwipe_param_boot;
	ep->reset_seq = espwipe_param_reset;
	kernel_param_unlock(THIS_MODULE);

	espwipe_attr_init(&ep->attr_enter, "enter_bootloader", 0200, NULL,
			  enter_bootloader_store);
	espwipe_attr_init(&ep->attr_reset, "reset", 0200, NULL, reset_store);
	espwipe_attr_init(&ep->attr_boot_seq, "bootloader_sequence", 0644,
			  bootloader_sequence_show, bootloader_sequence_store);
	espwipe_attr_init(&ep->attr_reset_seq, "reset_sequence", 0644,
			  reset_sequence_show, reset_sequence_store);
	ep->attrs[0] = &ep->attr_enter.attr;
	ep->attrs[1] = &ep->attr_reset.attr;
	ep->attrs[2] = &ep->attr_boot_seq.attr;
	ep->attrs[3] = &ep->attr_reset_seq.attr;
	ep->attrs[4] = NULL;
	ep->group.attrs = ep->attrs;

	get_device(dev);
	return ep;
}

static struct espwipe_port *espwipe_find_locked(struct device *dev)
{
	struct espwipe_port *ep;

	lockdep_assert_held(&espwipe.lock);
	list_for_each_entry(ep, &espwipe.ports, node)
		if (&ep->port->dev == dev)
			return ep;
	return NULL;
}

static bool espwipe_driver_wanted(const struct device_driver *drv)
{
	return drv && (!strcmp(drv->name, ESPWIPE_DRV_CH341) ||
		       !strcmp(drv->name, ESPWIPE_DRV_CP210X));
}

/*
 * Attach to @dev if a wanted driver is bound to it.  The caller holds
 * @dev's device_lock (the driver core does for BOUND_DRIVER), so the
 * binding cannot change and its UNBIND_DRIVER event is still to come.
 */
static void espwipe_attach(struct device *dev)
{
	struct espwipe_port *ep;
	int ret;

	if (!espwipe_driver_wanted(dev->driver))
		return;

	mutex_lock(&espwipe.lock);
	if (espwipe.exiting || espwipe_find_locked(dev)) {
		mutex_unlock(&espwipe.lock);
		return;
	}
	ep = espwipe_port_alloc(dev);
	if (!ep) {
		mutex_unlock(&espwipe.lock);
		dev_warn(dev, "espwipe: out of memory, not attached\n");
		return;
	}
	ret = sysfs_create_group(&dev->kobj, &ep->group);
	if (ret) {
		mutex_unlock(&espwipe.lock);
		dev_warn(dev, "espwipe: cannot add attributes: %d\n", ret);
		kref_put(&ep->kref, espwipe_port_release);
		return;
	}
	list_add_tail(&ep->node, &espwipe.ports);
	mutex_unlock(&espwipe.lock);

	/* The group came after KOBJ_ADD: tell udev to look again. */
	kobject_uevent(&dev->kobj, KOBJ_CHANGE);
	dev_info(dev, "espwipe attached (%s)\n", dev->driver->name);
}

/*
 * Under espwipe.lock, decide who removes @ep: returns true if the caller
 * does (then it must call espwipe_remove()), false if someone else already
 * is (then the caller holds a reference and must call espwipe_wait_removed()).
 */
static bool espwipe_claim_locked(struct espwipe_port *ep)
{
	lockdep_assert_held(&espwipe.lock);
	if (ep->detaching) {
		kref_get(&ep->kref);
		return false;
	}
	ep->detaching = true;
	return true;
}

/* Remove @ep's attributes, unlink and drop it; espwipe.lock not held. */
static void espwipe_remove(struct espwipe_port *ep)
{
	struct device *dev = &ep->port->dev;

	/* Abort a running sequence first, so the drain below is short. */
	WRITE_ONCE(ep->dying, true);
	wake_up_all(&ep->wq);
	sysfs_remove_group(&dev->kobj, &ep->group);
	/*
	 * Every store() has returned, and a writer returns only after its
	 * job: the worker is idle and nothing can queue on it any more.
	 */
	if (ep->worker) {
		kthread_destroy_worker(ep->worker);
		ep->worker = NULL;
	}

	mutex_lock(&espwipe.lock);
	list_del(&ep->node);
	mutex_unlock(&espwipe.lock);

	complete_all(&ep->removed);
	dev_info(dev, "espwipe detached\n");
	kref_put(&ep->kref, espwipe_port_release);
}

static void espwipe_wait_removed(struct espwipe_port *ep)
{
	wait_for_completion(&ep->removed);
	kref_put(&ep->kref, espwipe_port_release);
}

static void espwipe_detach(struct device *dev)
{
	struct espwipe_port *ep;
	bool remover;

	mutex_lock(&espwipe.lock);
	ep = espwipe_find_locked(dev);
	remover = ep && espwipe_claim_locked(ep);
	mutex_unlock(&espwipe.lock);

	if (remover)
		espwipe_remove(ep);
	else if (ep)
		espwipe_wait_removed(ep);
}

static int espwipe_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		espwipe_attach(dev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
		/* Both come while the port is still in sysfs. */
		espwipe_detach(dev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block espwipe_nb = {
	.notifier_call = espwipe_bus_notify,
};

static int espwipe_scan_one(struct device *dev, void *unused)
{
	device_lock(dev);
	espwipe_attach(dev);
	device_unlock(dev);
	return 0;
}

/*
 * A usb-serial driver that never binds: registering it is the only way a
 * module can learn usb_serial_bus_type, which is not exported.  Its id
 * table is empty, and probe() refuses even ids added through new_id.
 */
static const struct usb_device_id espwipe_busprobe_ids[] = {
	{ }
};

static int espwipe_busprobe_probe(struct usb_serial *serial,
				  const struct usb_device_id *id)
{
	return -ENODEV;
}

static struct usb_serial_driver espwipe_busprobe = {
	.driver = {
		.owner = THIS_MODULE,
		.name = "espwipe-busprobe",
	},
	.description = "espwipe bus probe (binds nothing)",
	.id_table = espwipe_busprobe_ids,
	.num_ports = 1,
	.probe = espwipe_busprobe_probe,
};

static struct usb_serial_driver *const espwipe_busprobe_drivers[] = {
	&espwipe_busprobe, NULL
};

static int __init espwipe_init(void)
{
	int ret;

	ret = espwipe_param_defaults();
	if (ret)
		return ret;

	ret = usb_serial_register_drivers(espwipe_busprobe_drivers,
					  "espwipe-busprobe",
					  espwipe_busprobe_ids);
	if (ret)
		return ret;
	espwipe.bus = espwipe_busprobe.driver.bus;

	/* Notifier first, then the scan: attach is idempotent. */
	ret = bus_register_notifier(espwipe.bus, &espwipe_nb);
	if (ret) {
		usb_serial_deregister_drivers(espwipe_busprobe_drivers);
		return ret;
	}
	bus_for_each_dev(espwipe.bus, NULL, NULL, espwipe_scan_one);
	pr_info("watching %s ports of %s and %s\n", espwipe.bus->name,
		ESPWIPE_DRV_CH341, ESPWIPE_DRV_CP210X);
	return 0;
}

/* An entry nobody is detaching yet, else any entry, else NULL. */
static struct espwipe_port *espwipe_next_locked(void)
{
	struct espwipe_port *ep;

	lockdep_assert_held(&espwipe.lock);
	list_for_each_entry(ep, &espwipe.ports, node)
		if (!ep->detaching)
			return ep;
	return list_first_entry_or_null(&espwipe.ports, struct espwipe_port,
					node);
}

static void __exit espwipe_exit(void)
{
	struct espwipe_port *ep;
	bool remover;

	/*
	 * Remove every group before the code behind its attributes goes:
	 * sysfs holds no module reference.  Stop attaching first.
	 */
	mutex_lock(&espwipe.lock);
	espwipe.exiting = true;
	while ((ep = espwipe_next_locked())) {
		remover = espwipe_claim_locked(ep);
		mutex_unlock(&espwipe.lock);
		if (remover)
			espwipe_remove(ep);
		else
			espwipe_wait_removed(ep);
		mutex_lock(&espwipe.lock);
	}
	mutex_unlock(&espwipe.lock);

	bus_unregister_notifier(espwipe.bus, &espwipe_nb);
	usb_serial_deregister_drivers(espwipe_busprobe_drivers);
}

module_init(espwipe_init);
module_exit(espwipe_exit);

MODULE_AUTHOR("espwipe developers");
MODULE_DESCRIPTION("ESP8266 bootloader entry via DTR/RTS on ch341 and cp210x ports");
MODULE_LICENSE("GPL");
