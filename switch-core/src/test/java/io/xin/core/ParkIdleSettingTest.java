package io.xin.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code parkIdleMs}: 0 never parks, a negative value is refused, one at or above the idle timeout is harmless. */
class ParkIdleSettingTest
{
    private static XinSwitch.Context context()
    {
        return new XinSwitch.Context()
            .dataDir(Path.of("unused"))
            .jwtSecret(TestSwitch.SECRET);
    }

    @Test
    void shouldRefuseANegativeParkIdleTime()
    {
        final IllegalArgumentException refused =
            assertThrows(IllegalArgumentException.class, () -> context().parkIdleMs(-1).conclude());
        assertTrue(refused.getMessage().startsWith("parkIdleMs"), refused.getMessage());
    }

    @Test
    void shouldAcceptNeverAndTimesAtOrAboveTheIdleTimeout()
    {
        assertDoesNotThrow(() -> context().parkIdleMs(0).conclude());
        assertDoesNotThrow(() -> context().idleTimeoutMs(5_000).parkIdleMs(5_000).conclude());
        assertEquals(Configuration.DEFAULT_PARK_IDLE_MS, context().parkIdleMs());
    }
}
