package io.xin.media;

import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local store in a fresh directory on a clock the test moves, opened before each test and closed after it; the
 * tests of the local store and of the collector start from it.
 */
abstract class LocalStoreTestBase
{
    static final long ALICE = 1001;
    static final long BOB = 1002;
    static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

    @TempDir
    Path root;

    final MutableClock clock = new MutableClock(START);
    /** The store under test; a test that reopens it assigns the new one here, so it is closed after the test. */
    LocalMediaStore store;

    @BeforeEach
    void open()
    {
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);
    }

    @AfterEach
    void close()
    {
        store.close();
    }

    /** @return a request for exactly these bytes, expiring an hour from now. */
    UploadRequest request(final long owner, final byte[] data, final String contentType)
    {
        return new UploadRequest(owner, data.length, contentType, sha256(data), clock.instant().plusSeconds(3600));
    }

    static byte[] bytes(final int length, final long seed)
    {
        return TestBytes.bytes(length, seed);
    }

    static String sha256(final byte[] data)
    {
        return TestBytes.sha256(data);
    }
}
