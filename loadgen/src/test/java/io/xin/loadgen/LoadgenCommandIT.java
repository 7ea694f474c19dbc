package io.xin.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xin.core.XinSwitch;
import io.xin.storage.FsyncPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code xin loadgen} command line end to end, each scenario short and bounded, against a switch
 * it starts in this JVM on 127.0.0.1.
 */
@Timeout(120)
@Tag("slow")
class LoadgenCommandIT
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteTheJsonSummaryTheIssueNamesForChat() throws Exception
    {
        final JsonNode json = run(0, "chat", "--users", "30", "--rate", "200", "--duration", "2", "--warmup", "0.5");

        for (final String key : List.of("scenario", "sessions", "sent", "acked", "delivered", "lost", "duplicates",
            "achieved_rate", "ack_latency_us", "deliver_latency_us"))
        {
            assertTrue(json.has(key), "missing " + key + " in " + json);
        }
        for (final String percentile : List.of("p50", "p99", "p999", "max"))
        {
            assertTrue(json.get("ack_latency_us").has(percentile));
            assertTrue(json.get("deliver_latency_us").get(percentile).asDouble() > 0);
        }
        assertEquals("chat", json.get("scenario").asText());
        assertEquals(30, json.get("sessions").asInt());
        assertEquals(500, json.get("sent").asLong(), "200/s for 2.5 s");
        assertEquals(0, json.get("lost").asLong());
        assertEquals(0, json.get("duplicates").asLong());
        assertEquals(400, json.get("deliver_latency_us").get("count").asLong(), "every measured message, none of the warm-up");
        assertEquals(json.get("acked").asLong(), json.get("delivered").asLong());
        assertTrue(Files.readString(dir.resolve("report/report.html")).contains("<svg"));
        assertTrue(Files.size(dir.resolve("report/latency.hlog")) > 0);
    }

    @Test
    void shouldReportTheGoAwayAndTheFailedSendsWhenTheSwitchDrainsMidRun() throws Exception
    {
        final String secret = "loadgen-integration-test-secret-of-32-bytes";
        try (XinSwitch xin = XinSwitch.launch(new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dir.resolve("data"))
            .jwtSecret(secret)
            .fsyncPolicy(FsyncPolicy.NEVER)
            .goAwayMaxReconnectDelayMs(0)
            .ioThreads(2)
            .strangersAllowedByDefault(true)))
        {
            // Drain the switch once it has stored some of the run's 600 messages, as a stop (SIGTERM) does.
            final Thread drain = new Thread(() ->
            {
                try
                {
                    while (xin.counters().messagesStored.sum() < 100)
                    {
                        Thread.sleep(5);
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                xin.close();
            }, "drain");
            drain.setDaemon(true);
            drain.start();
            final List<String> args = List.of("chat", "--host", "127.0.0.1", "--port", Integer.toString(xin.port()),
                "--jwt-secret", secret, "--users", "30", "--rate", "200", "--duration", "3", "--warmup", "0",
                "--drain", "2", "--json", dir.resolve("summary.json").toString(),
                "--report-dir", dir.resolve("report").toString());

            assertEquals(ScenarioCommand.EXIT_TARGET_WENT_AWAY, execute(args.toArray(new String[0])));
            drain.join(10_000);

            final JsonNode json = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
            assertEquals(600, json.get("sent").asLong(), json::toString);
            assertEquals(30, json.get("goaways").asLong(), json::toString);
            assertEquals(30, json.get("disconnects").asLong(), json::toString);
            assertEquals(30, json.get("sessions_away_at_end").asLong(), json::toString);
            final long acked = json.get("acked").asLong();
            assertTrue(acked > 0 && acked < 600, json::toString);
            assertEquals(600 - acked, json.get("failed_sends").asLong(), "every unacked send failed: " + json);
            assertEquals(600 - acked, json.get("failed_send_reasons")
                .get("target went away (GoAway: server draining)").asLong(), json::toString);
            assertEquals(0, json.get("lost").asLong());
            assertEquals(0, json.get("duplicates").asLong());
            assertEquals("GoAway: server draining", json.get("target_went_away").asText());
            assertTrue(json.get("target_went_away_at_s").asDouble() > 0, json::toString);
            assertTrue(json.get("result").asText().startsWith("the target went away at t="), json::toString);
            final String html = Files.readString(dir.resolve("report/report.html"));
            assertTrue(html.contains("<strong>the target went away at t="), "said before the figures");
        }
    }

    @Test
    void shouldMergeCountsAndHistogramsOfChildProcesses() throws Exception
    {
        final JsonNode json = run(0, "chat", "--processes", "2", "--users", "40", "--rate", "200", "--duration", "1",
            "--warmup", "0.5");

        assertEquals(2, json.get("processes").asInt());
        assertEquals(40, json.get("sessions").asInt());
        assertEquals(300, json.get("sent").asLong(), "each process sends 100/s for 1.5 s");
        assertEquals(300, json.get("delivered").asLong());
        assertEquals(0, json.get("lost").asLong());
        assertEquals(200, json.get("deliver_latency_us").get("count").asLong(), "both processes' measured messages");
    }

    @Test
    void shouldSyncEveryMessageStoredForOfflineUsers() throws Exception
    {
        final JsonNode json = run(0, "offline", "--users", "20", "--messages-per-user", "10", "--rate", "1000");

        assertEquals(100, json.get("acked").asLong(), "10 receivers x 10 messages");
        assertEquals(100, json.get("delivered").asLong());
        assertEquals(0, json.get("lost").asLong());
        assertTrue(json.get("sync_ms").asLong() >= 0);
    }

    @Test
    void shouldReconnectEverySessionAfterAStorm() throws Exception
    {
        final JsonNode json = run(0, "storm", "--users", "50", "--jitter-ms", "200");

        assertEquals(50, json.get("reconnected").asInt());
        assertEquals(50, json.get("synced").asInt());
        assertEquals(50, json.get("login_latency_us").get("count").asInt());
    }

    @Test
    void shouldHoldIdleSessionsAndReportMemoryPerSession() throws Exception
    {
        final JsonNode json = run(0, "idle", "--users", "50", "--duration", "1");

        assertEquals(50, json.get("sessions_alive").asInt());
        assertTrue(json.has("server_heap_per_session_bytes"), json::toString);
    }

    @Test
    void shouldRunABrokenRampStepAgainBeforeStopping() throws Exception
    {
        final JsonNode json = run(0, "ramp", "--users", "20", "--rate", "40", "--duration", "1", "--warmup", "0",
            "--ramp-warmup", "0", "--max-p99-ms", "0.000001", "--step-retries", "1");

        assertEquals(0, json.get("max_sustainable_rate").asInt());
        assertFalse(json.get("max_sustainable_rate_is_lower_bound").asBoolean(), json::toString);
        assertEquals(2, json.get("steps").size(), json::toString);
        assertEquals(40, json.get("steps").get(1).get("rate").asInt(), "the same rate again");
    }

    @Test
    void shouldCallTheMaximumALowerBoundWhenEveryStepHeld() throws Exception
    {
        // Bounds that one step of 40 messages holds on any machine.
        final JsonNode json = run(0, "ramp", "--users", "20", "--rate", "40", "--duration", "1", "--warmup", "0",
            "--ramp-warmup", "0", "--max-steps", "1", "--max-p99-ms", "1000", "--min-delivered-share", "0.5");

        assertEquals(40, json.get("max_sustainable_rate").asInt(), json::toString);
        assertTrue(json.get("max_sustainable_rate_is_lower_bound").asBoolean(), json::toString);
    }

    @Test
    void shouldWarmUpARampAtHalfItsFirstRateUnlessToldARate() throws Exception
    {
        final JsonNode half = run(0, "ramp", "--users", "20", "--rate", "40", "--duration", "1", "--warmup", "0",
            "--ramp-warmup", "0.5", "--max-steps", "1", "--max-p99-ms", "1000");
        assertEquals(20, half.get("ramp_warmup_rate").asInt(), half::toString);

        final JsonNode told = run(0, "ramp", "--users", "20", "--rate", "40", "--duration", "1", "--warmup", "0",
            "--ramp-warmup", "0.5", "--ramp-warmup-rate", "30", "--max-steps", "1", "--max-p99-ms", "1000");
        assertEquals(30, told.get("ramp_warmup_rate").asInt(), told::toString);

        assertEquals(CommandLine.ExitCode.USAGE, execute("ramp", "--ramp-warmup-rate", "-1"));
    }

    @Test
    void shouldRejectAPayloadTooSmallForTheHeader() throws Exception
    {
        assertEquals(CommandLine.ExitCode.USAGE, execute("chat", "--payload", "8"));
    }

    @Test
    void shouldDiscoverEveryUsersBookAndCheckTheAnswers() throws Exception
    {
        final JsonNode json = run(0, "contacts", "--users", "20", "--book", "40", "--hit-ratio", "0.3",
            "--concurrency", "4", "--batch", "25");
        assertEquals("contacts", json.get("scenario").asText());
        assertEquals(20, json.get("registered").asLong());
        assertEquals(20, json.get("discoveries").asLong());
        assertEquals(0, json.get("mismatches").asLong());
        assertEquals(0, json.get("discovery_failures").asLong());
        assertEquals(20, json.get("discovery_latency_us").get("count").asLong());
        assertTrue(json.get("discoveries_per_second").asDouble() > 0);
        assertEquals("ok", json.get("result").asText());
    }

    @Test
    void shouldReportAndQueryPeopleNearby() throws Exception
    {
        // 30 users at 10 requests a second: 5 reports and 15 queries a user a minute, under the switch's limits.
        final JsonNode json = run(0, "nearby", "--users", "30", "--rate", "10", "--duration", "2", "--warmup", "0.5");

        assertEquals("ok", json.get("result").asText(), json::toString);
        assertEquals(30, json.get("first_report_count").asInt());
        final long answered = json.get("query_count").asLong() + json.get("report_count").asLong();
        assertTrue(answered >= 15 && answered <= 25, "about 20 measured requests: " + answered);
        assertTrue(json.get("query_latency_us").get("p99").asLong() > 0);
        assertTrue(json.get("users_per_page").asDouble() > 0, "everyone is within 20 km of everyone");
    }

    @Test
    void shouldPairShakers() throws Exception
    {
        // 20 pairs at 5 pairs a second: 15 shakes a user a minute.
        final JsonNode json = run(0, "shake", "--users", "40", "--rate", "5", "--duration", "2", "--warmup", "0.5");

        assertEquals("ok", json.get("result").asText(), json::toString);
        assertEquals(0, json.get("expired_shakes").asLong());
        final long matched = json.get("matched_shakes").asLong();
        assertTrue(matched >= 16 && matched <= 24, "about 20 measured shakes, every one matched: " + matched);
        assertEquals(matched, json.get("shake_count").asLong());
    }

    private JsonNode run(final int expectedExit, final String scenario, final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of(scenario, "--start", "embedded", "--fsync", "never",
            "--drain", "10", "--json", dir.resolve("summary.json").toString(),
            "--report-dir", dir.resolve("report").toString()));
        all.addAll(List.of(args));
        assertEquals(expectedExit, execute(all.toArray(new String[0])));
        return new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
    }

    private static int execute(final String... args)
    {
        final String[] full = new String[args.length + 1];
        full[0] = "loadgen";
        System.arraycopy(args, 0, full, 1, args.length);
        return new CommandLine(new LoadgenMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(full);
    }
}
