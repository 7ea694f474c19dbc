package io.xin.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code headWriteIntervalMs}: a head may wait in memory only while the inbox entries that stand for it
 * cannot expire, so the interval is at most half the retention.
 */
class HeadWriteIntervalTest
{
    private static XinSwitch.Context context()
    {
        return new XinSwitch.Context()
            .dataDir(Path.of("unused"))
            .jwtSecret(TestSwitch.SECRET);
    }

    @Test
    void shouldRefuseAnIntervalLongerThanHalfTheRetention()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> context().retentionSeconds(10).headWriteIntervalMs(5_001).conclude());

        assertTrue(refused.getMessage().startsWith("headWriteIntervalMs"), refused.getMessage());
        assertDoesNotThrow(() -> context().retentionSeconds(10).headWriteIntervalMs(5_000).conclude());
    }

    @Test
    void shouldRefuseANegativeInterval()
    {
        assertThrows(IllegalArgumentException.class, () -> context().headWriteIntervalMs(-1).conclude());
    }

    @Test
    void shouldAcceptEveryBatchOrAnyIntervalWhenEntriesNeverExpire()
    {
        assertDoesNotThrow(() -> context().headWriteIntervalMs(0).conclude());
        assertDoesNotThrow(() -> context().retentionSeconds(0).headWriteIntervalMs(86_400_000).conclude());
    }
}
