package io.xin.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConfigurationTest
{
    @Test
    void shouldStartOneEventLoopPerCoreByDefault()
    {
        assertEquals(Runtime.getRuntime().availableProcessors(),
            Configuration.eventLoops(Configuration.DEFAULT_IO_THREADS));
    }

    @Test
    void shouldStartAsManyEventLoopsAsConfigured()
    {
        assertEquals(3, Configuration.eventLoops(3));
        assertEquals(1, Configuration.eventLoops(1));
    }
}
