package io.xin.media.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xin.media.MediaLimits;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

class MediaHttpConfigTest
{
    @Test
    void defaultsAreTheContracts()
    {
        final MediaHttpConfig config = MediaHttpConfig.builder("127.0.0.1", 0).build();
        assertEquals(8L * 1024 * 1024, config.maxChunkBytes());
        assertEquals(10_000, config.maxConnections());
        assertEquals(60_000, config.idleTimeoutMs());
        assertNull(config.sslContext());
        assertEquals(1, config.ioThreads());
        assertEquals(2, config.fileThreads());
        assertEquals(512L * 1024 * 1024, config.maxUploadBytes());
        assertEquals(config, new MediaHttpConfig("127.0.0.1", 0, 8L * 1024 * 1024, 10_000, 60_000, null, 1, 2));
        assertEquals(7, MediaHttpConfig.largest(new MediaLimits(1, 7, 3, 4, 1, Duration.ofHours(1))));
    }

    @Test
    void everyValueIsChecked()
    {
        final List<UnaryOperator<MediaHttpConfig.Builder>> bad = List.of(
            b -> b.maxChunkBytes(0),
            b -> b.maxConnections(0),
            b -> b.idleTimeoutMs(0),
            b -> b.ioThreads(0),
            b -> b.fileThreads(0),
            b -> b.maxInitialLineBytes(63),
            b -> b.maxHeaderBytes(255),
            b -> b.connectionBufferBytes(MediaHttpConfig.MIN_CONNECTION_BUFFER_BYTES - 1),
            b -> b.maxUploadBytes(0),
            b -> b.cacheMaxAgeSeconds(-1),
            b -> b.clock(null));
        for (final UnaryOperator<MediaHttpConfig.Builder> change : bad)
        {
            assertThrows(IllegalArgumentException.class, () -> change.apply(
                MediaHttpConfig.builder("127.0.0.1", 0)).build());
        }
        assertThrows(IllegalArgumentException.class, () -> MediaHttpConfig.builder(" ", 0).build());
        assertThrows(IllegalArgumentException.class, () -> MediaHttpConfig.builder("127.0.0.1", -1).build());
        assertThrows(IllegalArgumentException.class, () -> MediaHttpConfig.builder("127.0.0.1", 65_536).build());
    }
}
