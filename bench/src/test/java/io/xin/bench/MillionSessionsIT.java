package io.xin.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A million in-JVM sessions with heartbeats in a 2 GiB heap. Too slow for every build: run it with
 * {@code ./mvnw -B -pl bench -am verify -Pmillion -Dit.test=MillionSessionsIT -Dsurefire.failIfNoSpecifiedTests=false}
 * (the profile sets -Xmx2g and enables this test).
 */
@EnabledIfSystemProperty(named = "xin.million", matches = "true")
class MillionSessionsIT
{
    private static final int SESSIONS = 1_000_000;

    @Test
    @Timeout(value = 90, unit = TimeUnit.MINUTES)
    void shouldHoldAMillionHeartbeatingSessionsInTwoGibibytesOfHeap() throws Exception
    {
        assertTrue(Runtime.getRuntime().maxMemory() <= 2L * 1024 * 1024 * 1024 + 64 * 1024 * 1024,
            "run with -Xmx2g (the million profile sets it): " + Runtime.getRuntime().maxMemory());
        // Heartbeat 30 s (idle timeout 75 s), held 90 s: every session pings through an idle timeout.
        final SessionMemory.Report report = SessionMemory.run(
            new SessionMemory.Options("local", SESSIONS, 30_000, 90, 4_000, 2, 30).validate());
        report.print(System.out);
        assertEquals(SESSIONS, report.loggedIn());
        assertEquals(SESSIONS, report.sessionsOpenAtEnd(), "sessions closed although they heartbeat");
        assertTrue(report.pongs() >= SESSIONS, "pongs " + report.pongs());
    }
}
