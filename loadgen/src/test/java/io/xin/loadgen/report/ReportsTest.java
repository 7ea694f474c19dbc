package io.xin.loadgen.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteJsonTextHistogramLogAndSelfContainedHtml() throws Exception
    {
        final Summary summary;
        final Measurements measurements = new Measurements("test", () -> "");
        try (measurements)
        {
            for (int i = 1; i <= 1_000; i++)
            {
                measurements.recordAck(i * 1_000L);
                measurements.recordDeliver(i * 2_000L);
            }
        }
        summary = new Summary()
            .put("scenario", "chat")
            .put("sent", 1_000L)
            .put("achieved_rate", 999.5)
            .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()))
            .put("deliver_latency_us", Summary.latency(measurements.deliverLatencyUs()));

        Reports.writeJson(summary, dir.resolve("summary.json"));
        Reports.writeHistogramLog(measurements, dir.resolve("latency.hlog"));
        Reports.writeHtml(summary, measurements, dir.resolve("report.html"));
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        Reports.printText(summary, new PrintStream(text, true, StandardCharsets.UTF_8));

        final JsonNode json = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals("chat", json.get("scenario").asText());
        assertEquals(1_000, json.get("sent").asLong());
        final JsonNode deliver = json.get("deliver_latency_us");
        assertEquals(1_000, deliver.get("p50").asDouble(), 10);
        assertEquals(2_000, deliver.get("max").asDouble(), 2);
        assertTrue(deliver.has("p99") && deliver.has("p999"));

        final String hlog = Files.readString(dir.resolve("latency.hlog"));
        assertTrue(hlog.contains("Tag=ack") && hlog.contains("Tag=deliver"), hlog);

        final String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("<polyline"), "plots drawn inline");
        assertFalse(html.contains("<script") || html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"),
            "no scripts, nothing fetched");

        final String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("deliver_latency") && printed.contains("p99"), printed);
    }

    @Test
    void shouldReadThisProcessCpuTimeAndResidentMemory() throws Exception
    {
        final long pid = ProcessHandle.current().pid();
        final long before = ProcStat.cpuNanos(pid);
        long spin = 0;
        final long untilNs = System.nanoTime() + 100_000_000L;
        while (System.nanoTime() < untilNs)
        {
            spin += System.nanoTime() & 1;
        }
        assertTrue(spin >= 0);
        assertTrue(ProcStat.cpuNanos(pid) > before, "CPU time grows while spinning");
        assertTrue(ProcStat.rssBytes(pid) > 1024 * 1024);
        assertTrue(ProcStat.exists(pid));
    }
}
