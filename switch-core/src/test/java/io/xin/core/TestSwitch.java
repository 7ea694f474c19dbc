package io.xin.core;

import io.xin.core.auth.TokenIssuer;
import io.xin.storage.FsyncPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A real switch for integration tests: loopback, ephemeral port, RocksDB in the given folder.
 * Can be stopped and started again on the same data.
 */
public final class TestSwitch implements AutoCloseable
{
    public static final String SECRET = "integration-test-secret-of-at-least-32-bytes";

    private final Path dataDir;
    private final Consumer<XinSwitch.Context> customizer;
    private final TokenIssuer issuer = new TokenIssuer(SECRET);
    private XinSwitch xin;
    /** 0 at first; then the bound port, so clients find the restarted switch where they left it. */
    private int port;

    public TestSwitch(final Path dataDir)
    {
        this(dataDir, ctx -> {});
    }

    public TestSwitch(final Path dataDir, final Consumer<XinSwitch.Context> customizer)
    {
        this.dataDir = dataDir;
        this.customizer = customizer;
        start();
    }

    public XinSwitch.Context context()
    {
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(port)
            .dataDir(dataDir)
            .jwtSecret(SECRET)
            .fsyncPolicy(FsyncPolicy.NEVER)
            .ioThreads(2)
            .ringSize(1024)
            .drainTimeoutMs(5_000)
            .goAwayMaxReconnectDelayMs(50)
            // Tests open many loopback connections fast; the abuse tests set these limits themselves.
            .sendRateLimit(0, 1)
            .maxNewConnectionsPerAddressPerSecond(0)
            .maxLoginFailuresPerAddressPerMinute(0)
            .maxLoginsPerDevicePerMinute(0)
            // Tests message users they never befriended; the friends tests set it back to false.
            .strangersAllowedByDefault(true);
        customizer.accept(ctx);
        return ctx;
    }

    public void start()
    {
        xin = XinSwitch.launch(context());
        port = xin.port();
    }

    public void restart()
    {
        xin.close();
        start();
    }

    public XinSwitch xin()
    {
        return xin;
    }

    public int port()
    {
        return xin.port();
    }

    public String token(final long userId)
    {
        return issuer.issue(userId, Duration.ofHours(1));
    }

    @Override
    public void close()
    {
        if (xin != null)
        {
            xin.close();
        }
    }
}
