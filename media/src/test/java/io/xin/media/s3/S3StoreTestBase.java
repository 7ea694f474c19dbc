package io.xin.media.s3;

import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import io.xin.media.MediaLimits;
import io.xin.media.MutableClock;

/**
 * One S3Proxy for a test class, a new bucket and a store on it for each test, on a hand-moved clock.
 */
abstract class S3StoreTestBase
{
    static final long ALICE = 1001;
    static final long BOB = 1002;
    static final int MIB = 1024 * 1024;
    static final int PART = 5 * MIB;

    @TempDir
    static Path serverDir;

    static S3ProxyServer server;

    @TempDir
    Path spoolDir;

    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    String bucket;
    /** The test's store; a test that reopens it assigns the new one here, which is closed after it. */
    S3MediaStore store;

    @BeforeAll
    static void startServer() throws Exception
    {
        server = new S3ProxyServer(serverDir);
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        server.close();
    }

    @BeforeEach
    void openStore()
    {
        bucket = server.newBucket();
        store = new S3MediaStore(config(), MediaLimits.DEFAULTS, clock);
    }

    @AfterEach
    void closeStore()
    {
        store.close();
    }

    S3StoreConfig config()
    {
        return new S3StoreConfig(server.endpoint(), S3ProxyServer.REGION, bucket, S3ProxyServer.ACCESS_KEY,
            S3ProxyServer.SECRET_KEY, true, spoolDir, PART);
    }
}
