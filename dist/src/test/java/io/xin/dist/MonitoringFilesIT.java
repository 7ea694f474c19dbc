package io.xin.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tarball ships the documentation its systemd unit points to, a Grafana dashboard and Prometheus alert
 * rules; every series they query is one a running daemon exports.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("slow")
final class MonitoringFilesIT
{
    /** A series name in PromQL: the switch's, the JVM's or the process's. */
    private static final Pattern SERIES = Pattern.compile("(?<![A-Za-z0-9_:])((?:xin|jvm|process)_[A-Za-z0-9_:]+)");

    @TempDir
    static Path installDir;
    static Path home;

    @TempDir
    Path dir;

    @BeforeAll
    static void unpack() throws Exception
    {
        home = Daemon.unpack(installDir);
    }

    @Test
    void shouldShipTheDocumentationTheSystemdUnitPointsTo() throws Exception
    {
        final String unit = Files.readString(home.resolve("systemd/xin.service"), StandardCharsets.UTF_8);
        final Matcher documentation = Pattern.compile("(?m)^Documentation=(.+)$").matcher(unit);
        assertTrue(documentation.find(), unit);
        for (final String uri : documentation.group(1).trim().split("\\s+"))
        {
            assertTrue(uri.startsWith("file:///opt/xin/"), uri);
            final Path shipped = home.resolve(uri.substring("file:///opt/xin/".length()));
            assertTrue(Files.isRegularFile(shipped), uri + " is not in the tarball");
        }
        for (final String doc : new String[]{ "operations.md", "security.md", "architecture.md", "protocol.md" })
        {
            assertTrue(Files.isRegularFile(home.resolve("docs").resolve(doc)), doc);
        }
        final String operations = Files.readString(home.resolve("docs/operations.md"), StandardCharsets.UTF_8);
        assertTrue(operations.contains("prometheus/xin-alerts.yml"), "operations.md points to the alert rules");
        assertTrue(operations.contains("grafana/xin-dashboard.json"), "operations.md points to the dashboard");
    }

    @Test
    void shouldQueryOnlySeriesARunningSwitchExports() throws Exception
    {
        final List<String> expressions = new ArrayList<>(dashboardExpressions());
        final int dashboardCount = expressions.size();
        expressions.addAll(alertExpressions());
        assertTrue(dashboardCount >= 20, "dashboard expressions: " + dashboardCount);
        assertTrue(expressions.size() - dashboardCount >= 8, "alert expressions");

        final Set<String> referenced = new TreeSet<>();
        for (final String expression : expressions)
        {
            final Matcher matcher = SERIES.matcher(expression);
            while (matcher.find())
            {
                referenced.add(matcher.group(1));
            }
        }
        for (final String series : new String[]{ "xin_connections_refused_total", "xin_rocksdb_sst_files_bytes",
            "xin_journal_write_seconds_bucket", "xin_messages_stored_total", "jvm_memory_used_bytes" })
        {
            assertTrue(referenced.contains(series), series + " is on the dashboard or in an alert");
        }

        final Set<String> exported = exportedSampleNames();
        // Samples carry the suffixes PromQL must use: a histogram only as _bucket, _sum and _count, a counter
        // only with _total.
        assertTrue(exported.contains("xin_journal_write_seconds_bucket"), "histogram buckets exported");
        assertFalse(exported.contains("xin_journal_write_seconds"), "no sample under a histogram's own name");
        assertTrue(exported.contains("xin_logins_total"));
        assertFalse(exported.contains("xin_logins"), "no counter sample without _total");

        final Set<String> missing = new TreeSet<>(referenced);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), "queried but not exported: " + missing + "\nexported: " + exported);
    }

    @Test
    void shouldGiveEveryAlertASeverityAndASummary() throws Exception
    {
        for (final Map<String, Object> rule : alertRules())
        {
            final String name = (String)rule.get("alert");
            assertNotNull(name, rule.toString());
            assertNotNull(rule.get("expr"), name);
            @SuppressWarnings("unchecked") final Map<String, Object> labels = (Map<String, Object>)rule.get("labels");
            @SuppressWarnings("unchecked") final Map<String, Object> annotations =
                (Map<String, Object>)rule.get("annotations");
            assertTrue(Set.of("critical", "warning").contains(labels.get("severity")), name);
            assertNotNull(annotations.get("summary"), name);
            assertNotNull(annotations.get("description"), name);
        }
    }

    private static List<String> dashboardExpressions() throws Exception
    {
        final JsonNode dashboard = new ObjectMapper().readTree(home.resolve("grafana/xin-dashboard.json").toFile());
        assertEquals("xin-switch", dashboard.path("uid").asText());
        final List<String> expressions = new ArrayList<>();
        for (final JsonNode expr : dashboard.findValues("expr"))
        {
            expressions.add(expr.asText());
        }
        for (final JsonNode variable : dashboard.path("templating").path("list"))
        {
            if (variable.has("definition"))
            {
                expressions.add(variable.path("definition").asText());
            }
        }
        return expressions;
    }

    private static List<String> alertExpressions() throws Exception
    {
        final List<String> expressions = new ArrayList<>();
        for (final Map<String, Object> rule : alertRules())
        {
            expressions.add(String.valueOf(rule.get("expr")));
        }
        return expressions;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules() throws Exception
    {
        final Map<String, Object> file = new Yaml().load(
            Files.readString(home.resolve("prometheus/xin-alerts.yml"), StandardCharsets.UTF_8));
        final List<Map<String, Object>> rules = new ArrayList<>();
        for (final Map<String, Object> group : (List<Map<String, Object>>)file.get("groups"))
        {
            rules.addAll((List<Map<String, Object>>)group.get("rules"));
        }
        assertFalse(rules.isEmpty());
        return rules;
    }

    /** The names of every sample a freshly started daemon's {@code /metrics} holds. */
    private Set<String> exportedSampleNames() throws Exception
    {
        final int adminPort = Daemon.freePort();
        final Path config = Files.writeString(dir.resolve("xin.properties"), String.join("\n",
            "host = 127.0.0.1",
            "port = " + Daemon.freePort(),
            "admin-host = 127.0.0.1",
            "admin-port = " + adminPort,
            "data-dir = " + dir.resolve("data"),
            ""));
        try (Daemon daemon = Daemon.start(home, dir.resolve("daemon.log"), Map.of("XIN_JWT_SECRET", Daemon.SECRET),
            "--config", config.toString()))
        {
            daemon.awaitReady(adminPort, 60_000);
            final String metrics = Daemon.get(adminPort, "/metrics").body();
            final Set<String> names = new TreeSet<>();
            for (final String line : metrics.split("\n"))
            {
                if (!line.isEmpty() && !line.startsWith("#"))
                {
                    final int end = line.indexOf(line.contains("{") ? '{' : ' ');
                    names.add(line.substring(0, end));
                }
            }
            daemon.terminate();
            assertEquals(0, daemon.awaitExit(30_000), daemon.log());
            return names;
        }
    }
}
