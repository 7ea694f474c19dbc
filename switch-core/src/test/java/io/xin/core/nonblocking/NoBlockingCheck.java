package io.xin.core.nonblocking;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Makes a blocking call on one of the switch's event loops ({@code xin-io-*}, {@code xin-accept-*})
 * fail the test class. BlockHound (installed for every test by its JUnit platform listener, which
 * loads this integration) reports the call here; this extension, auto-registered for every test
 * class, fails the class with the calls and their stacks.
 * <p>
 * Allowed, and why:
 * <ul>
 *   <li>Logging: logback's console appender writes to stdout under a lock. The switch logs on an
 *       event loop only for rare, rate-limited lifecycle warnings, never per message; production
 *       deployments log asynchronously.</li>
 *   <li>Netty 4.2's adaptive allocator takes a short lock when contention makes it add a magazine,
 *       as its pooled allocator does in {@code PoolArena.lock}, which Netty's own BlockHound
 *       integration allows; that one is not in its list yet.</li>
 *   <li>Class loading, and jjwt's one-time {@code ServiceLoader} lookup of its implementations (it
 *       caches them): they read jar files once per class, at the first use.</li>
 *   <li>Netty's io_uring handler spins ({@code Thread.onSpinWait}) while it closes its ring, in
 *       {@code IoUringIoHandler.destroy}: once, when the event loop itself shuts down.</li>
 *   <li>{@code SecureRandom} seeding, inside the JDK's TLS and JWT code, reads {@code /dev/urandom}
 *       once.</li>
 * </ul>
 */
public final class NoBlockingCheck implements BlockHoundIntegration, AfterAllCallback
{
    private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();

    @Override
    public void applyTo(final BlockHound.Builder builder)
    {
        builder
            .nonBlockingThreadPredicate(current -> current.or(NoBlockingCheck::isSwitchLoop))
            .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
            .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend")
            .allowBlockingCallsInside("java.security.SecureRandom", "nextBytes")
            .allowBlockingCallsInside("java.lang.ClassLoader", "loadClass")
            .allowBlockingCallsInside("io.jsonwebtoken.impl.lang.Services", "loadFirst")
            .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines")
            .allowBlockingCallsInside("io.netty.channel.uring.IoUringIoHandler", "destroy")
            .blockingMethodCallback(method ->
            {
                if (!isSwitchLoop(Thread.currentThread()))
                {
                    // Netty's integration also marks the test's client loops: not what is under test.
                    return;
                }
                final BlockingOperationError error = new BlockingOperationError(method);
                final StringBuilder where = new StringBuilder(error.getMessage())
                    .append(" in ").append(Thread.currentThread().getName());
                for (final StackTraceElement frame : error.getStackTrace())
                {
                    where.append("\n\tat ").append(frame);
                }
                // Recorded, not thrown: an error thrown inside a class initializer would break that
                // class for the rest of the JVM and bury the finding under unrelated failures.
                VIOLATIONS.add(where.toString());
            });
    }

    private static boolean isSwitchLoop(final Thread thread)
    {
        return thread.getName().startsWith("xin-io-") || thread.getName().startsWith("xin-accept-");
    }

    @Override
    public void afterAll(final ExtensionContext context)
    {
        if (!VIOLATIONS.isEmpty())
        {
            final String report = String.join("\n\n", VIOLATIONS);
            VIOLATIONS.clear();
            fail("Blocking calls on an event loop:\n" + report);
        }
    }

    /** Test hook: the calls recorded so far, for the test that proves the check works. */
    public static List<String> violations()
    {
        return VIOLATIONS;
    }
}
