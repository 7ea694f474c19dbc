package io.xin.protocol.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Makes a ByteBuf leak fail the build. Installed before any test runs (a launcher session
 * listener, so it precedes the first buffer class), it records every leak Netty's detector
 * reports; as an extension, registered for every test class of every module that takes this
 * module's test jar (extension auto-detection is on in the parent pom), it forces the detector to
 * look after each test class and fails the class if anything leaked.
 */
public final class LeakCheck implements LauncherSessionListener, AfterAllCallback
{
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    @Override
    public void launcherSessionOpened(final LauncherSession session)
    {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(final ExtensionContext context) throws Exception
    {
        // Leaks are found when a collected buffer's reference is polled by the next tracked allocation.
        for (int i = 0; i < 5; i++)
        {
            System.gc();
            Thread.sleep(20);
            final ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(8);
            pooled.release();
            final ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(8);
            unpooled.release();
        }
        if (!LEAKS.isEmpty())
        {
            final String report = String.join("\n\n", LEAKS);
            LEAKS.clear();
            fail("Netty reported leaked buffers:\n" + report);
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory
    {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(
            final Class<T> resource, final int samplingInterval, final long maxActive)
        {
            return new ResourceLeakDetector<>(resource, 1, maxActive)
            {
                @Override
                protected void reportTracedLeak(final String resourceType, final String records)
                {
                    LEAKS.add("LEAK: " + resourceType + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(final String resourceType)
                {
                    LEAKS.add("LEAK: " + resourceType);
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}
