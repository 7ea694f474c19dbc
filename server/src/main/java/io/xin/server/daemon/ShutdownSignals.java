package io.xin.server.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SIGTERM and SIGINT handling for the daemon. The first signal starts the graceful drain on a thread of
 * its own ({@code xin-shutdown}) and arms a deadline; a second signal, or the deadline passing, ends the
 * process at once with {@link #EXIT_FORCED}. Forcing loses no acknowledged message: a message is
 * acknowledged only after its write to RocksDB's write-ahead log returned (fsynced under fsync
 * {@code batch}), and the log is replayed at the next start.
 * <p>
 * The JVM's own shutdown hooks cannot see a second signal, hence {@code sun.misc.Signal}, reached by
 * reflection so that the build stays free of javac's internal-API warning. Where it is missing, a
 * shutdown hook runs the drain under the same deadline instead. A shutdown hook also covers other ways
 * out (SIGHUP, {@code System.exit}); the drain is idempotent.
 */
final class ShutdownSignals
{
    /** Exit status when the drain was cut short by the deadline or a second signal. */
    static final int EXIT_FORCED = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);

    private final Runnable drain;
    private final long deadlineMs;
    private final AtomicInteger signals = new AtomicInteger();

    /**
     * @param drain      the graceful stop; returns once it has finished.
     * @param deadlineMs the longest the drain may take before the process is ended anyway.
     */
    ShutdownSignals(final Runnable drain, final long deadlineMs)
    {
        this.drain = drain;
        this.deadlineMs = deadlineMs;
    }

    void install()
    {
        boolean handled = true;
        for (final String name : new String[]{ "TERM", "INT" })
        {
            handled &= handle(name);
        }
        if (!handled)
        {
            LOG.warn("Signal handlers unavailable: a second SIGTERM will not force the exit; the {} ms deadline " +
                "still does", deadlineMs);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            armDeadline();
            drain.run();
        }, "xin-shutdown-hook"));
    }

    void onSignal(final String name)
    {
        if (signals.incrementAndGet() == 1)
        {
            LOG.info("SIG{} received: draining; exit within {} ms, or at once on a second signal", name, deadlineMs);
            armDeadline();
            final Thread drainer = new Thread(drain, "xin-shutdown");
            drainer.setDaemon(false);
            drainer.start();
        }
        else
        {
            LOG.warn("SIG{} received again: exiting now without finishing the drain; acknowledged messages are " +
                "in the write-ahead log", name);
            Runtime.getRuntime().halt(EXIT_FORCED);
        }
    }

    private void armDeadline()
    {
        final Thread watchdog = new Thread(() ->
        {
            try
            {
                TimeUnit.MILLISECONDS.sleep(deadlineMs);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            LOG.error("Drain not finished within the shutdown deadline of {} ms: exiting now; acknowledged " +
                "messages are in the write-ahead log", deadlineMs);
            Runtime.getRuntime().halt(EXIT_FORCED);
        }, "xin-shutdown-deadline");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private boolean handle(final String name)
    {
        try
        {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Object signal = signalClass.getConstructor(String.class).newInstance(name);
            final Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[]{ handlerClass },
                (proxy, method, args) -> invoke(proxy, method, args, name));
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        }
        catch (final ReflectiveOperationException | RuntimeException | LinkageError ex)
        {
            LOG.debug("No handler for SIG{}: {}", name, ex.toString());
            return false;
        }
    }

    private Object invoke(final Object proxy, final Method method, final Object[] args, final String name)
    {
        switch (method.getName())
        {
            case "handle" ->
            {
                onSignal(name);
                return null;
            }
            case "equals" ->
            {
                return proxy == args[0];
            }
            case "hashCode" ->
            {
                return System.identityHashCode(proxy);
            }
            default ->
            {
                return "xin SIG" + name + " handler";
            }
        }
    }
}
