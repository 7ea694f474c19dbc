package io.xin.core;

import io.xin.storage.FsyncPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The main of the child JVM that crash tests kill: a switch on loopback over the given data dir,
 * which writes its bound port to a file once it listens and then runs until it is killed.
 * <pre>
 *   java -cp &lt;test classpath&gt; [-Dxin.test.killPoint=POINT:N] io.xin.core.ChildSwitch \
 *        &lt;dataDir&gt; &lt;port or 0&gt; &lt;never|batch&gt; &lt;portFile&gt; [&lt;journalShards&gt;
 *        [&lt;logSegmentBytes&gt; &lt;logCheckpointBytes&gt; &lt;logCheckpointIntervalMs&gt;]]
 * </pre>
 * The message log settings are given together or not at all (then the defaults hold).
 */
public final class ChildSwitch
{
    private ChildSwitch()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final XinSwitch.Context context = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(Integer.parseInt(args[1]))
            .dataDir(Path.of(args[0]))
            .fsyncPolicy(FsyncPolicy.valueOf(args[2].toUpperCase(java.util.Locale.ROOT)))
            .jwtSecret(TestSwitch.SECRET)
            .ioThreads(2)
            .ringSize(4096)
            .journalShards(args.length > 4 ? Integer.parseInt(args[4]) : 1)
            .blockCacheBytes(8L << 20)
            .writeBufferBytes(4L << 20)
            .sendRateLimit(0, 1)
            .maxNewConnectionsPerAddressPerSecond(0)
            .maxLoginsPerDevicePerMinute(0)
            .strangersAllowedByDefault(true);
        if (args.length > 7)
        {
            context.logSegmentBytes(Long.parseLong(args[5]))
                .logCheckpointBytes(Long.parseLong(args[6]))
                .logCheckpointIntervalMs(Long.parseLong(args[7]));
        }
        final XinSwitch xin = XinSwitch.launch(context);
        final Path portFile = Path.of(args[3]);
        final Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(xin.port()));
        Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        xin.awaitTermination();
    }
}
