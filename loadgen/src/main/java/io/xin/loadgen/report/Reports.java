package io.xin.loadgen.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's reports: the text summary, the JSON summary, the HdrHistogram log of every second's
 * latencies (tags {@code ack} and {@code deliver}; read it with HdrHistogram's HistogramLogProcessor
 * or any log plotter) and a self-contained HTML page.
 */
public final class Reports
{
    private static final double[] PERCENTILE_TICKS = { 0, 90, 99, 99.9, 99.99, 99.999 };
    private static final String[] COLOURS = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e" };

    private Reports()
    {
    }

    /**
     * @param summary the run's summary.
     * @param out     where the text goes.
     */
    public static void printText(final Summary summary, final PrintStream out)
    {
        out.println();
        printMap(summary.values(), "", out);
    }

    @SuppressWarnings("unchecked")
    private static void printMap(final Map<String, Object> values, final String indent, final PrintStream out)
    {
        for (final Map.Entry<String, Object> entry : values.entrySet())
        {
            final Object value = entry.getValue();
            if (value instanceof Map<?, ?> map && entry.getKey().endsWith("_us") && map.containsKey("p50"))
            {
                final Map<String, Object> latency = (Map<String, Object>)map;
                out.printf(Locale.ROOT, "%s%-26s p50 %s  p99 %s  p99.9 %s  max %s  (%,d samples)%n", indent,
                    entry.getKey().replace("_us", ""), us(latency.get("p50")), us(latency.get("p99")),
                    us(latency.get("p999")), us(latency.get("max")), ((Number)latency.get("count")).longValue());
            }
            else if (value instanceof Map<?, ?> map)
            {
                out.printf("%s%s:%n", indent, entry.getKey());
                printMap((Map<String, Object>)map, indent + "  ", out);
            }
            else if (value instanceof List<?>)
            {
                out.printf(Locale.ROOT, "%s%-26s %s%n", indent, entry.getKey(), value);
            }
            else if (value instanceof Double d)
            {
                out.printf(Locale.ROOT, "%s%-26s %,.2f%n", indent, entry.getKey(), d);
            }
            else if (value instanceof Long || value instanceof Integer)
            {
                out.printf(Locale.ROOT, "%s%-26s %,d%n", indent, entry.getKey(), ((Number)value).longValue());
            }
            else
            {
                out.printf(Locale.ROOT, "%s%-26s %s%n", indent, entry.getKey(), value);
            }
        }
    }

    private static String us(final Object value)
    {
        return Measurements.formatUs(((Number)value).doubleValue());
    }

    /**
     * @param summary the run's summary.
     * @param file    the JSON file to write.
     * @throws IOException when it cannot be written.
     */
    public static void writeJson(final Summary summary, final Path file) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), summary.values());
    }

    /**
     * @param measurements the run's samples.
     * @param file         the HdrHistogram log to write.
     * @throws IOException when it cannot be written.
     */
    public static void writeHistogramLog(final Measurements measurements, final Path file) throws IOException
    {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (PrintStream log = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8))
        {
            final HistogramLogWriter writer = new HistogramLogWriter(log);
            final long startMs = System.currentTimeMillis() - (System.nanoTime() - measurements.startNs()) / 1_000_000;
            writer.outputLogFormatVersion();
            writer.outputComment("Xin loadgen latencies in microseconds from each message's intended send time");
            writer.outputStartTime(startMs);
            writer.setBaseTime(startMs);
            writer.outputLegend();
            for (final Measurements.Sample sample : measurements.samples())
            {
                final long fromMs = startMs + (long)(sample.intervalStartS() * 1_000);
                final long toMs = startMs + (long)(sample.elapsedS() * 1_000);
                for (final Object[] tagged : new Object[][] {
                    { "ack", sample.ackLatencyUs() }, { "deliver", sample.deliverLatencyUs() } })
                {
                    final Histogram histogram = (Histogram)tagged[1];
                    histogram.setTag((String)tagged[0]);
                    histogram.setStartTimeStamp(fromMs);
                    histogram.setEndTimeStamp(toMs);
                    writer.outputIntervalHistogram(histogram);
                }
            }
        }
    }

    /**
     * @param summary      the run's summary.
     * @param measurements the run's latencies and samples.
     * @param file         the HTML file to write.
     * @throws IOException when it cannot be written.
     */
    public static void writeHtml(final Summary summary, final Measurements measurements, final Path file)
        throws IOException
    {
        Files.createDirectories(file.toAbsolutePath().getParent());
        final StringBuilder html = new StringBuilder(64 * 1024);
        final String title = "Xin loadgen: " + summary.get("scenario");
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .append(escape(title)).append("</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}")
            .append("table{border-collapse:collapse}td{padding:2px 12px 2px 0;vertical-align:top}")
            .append("td:first-child{color:#555}svg{background:#fff;border:1px solid #ddd;margin:1em 0}")
            .append("h2{margin-top:1.5em}</style></head><body>\n<h1>").append(escape(title)).append("</h1>\n");

        final Map<String, Histogram> latencies = new LinkedHashMap<>();
        final Histogram ack = measurements.ackLatencyUs();
        final Histogram deliver = measurements.deliverLatencyUs();
        if (ack.getTotalCount() > 0)
        {
            latencies.put("send→ack", ack);
        }
        if (deliver.getTotalCount() > 0)
        {
            latencies.put("send→deliver", deliver);
        }
        if (!latencies.isEmpty())
        {
            html.append("<h2>Latency by percentile</h2>\n<p>From each message's intended send time (open loop, ")
                .append("no coordinated omission).</p>\n");
            percentilePlot(html, latencies);
        }
        final List<Measurements.Sample> samples = measurements.samples();
        if (samples.size() > 1)
        {
            html.append("<h2>Throughput over time</h2>\n");
            throughputPlot(html, samples);
        }
        html.append("<h2>Summary</h2>\n<table>\n");
        tableRows(html, summary.values(), "");
        html.append("</table>\n</body></html>\n");
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static void tableRows(final StringBuilder html, final Map<String, Object> values, final String prefix)
    {
        for (final Map.Entry<String, Object> entry : values.entrySet())
        {
            if (entry.getValue() instanceof Map<?, ?> map)
            {
                tableRows(html, (Map<String, Object>)map, prefix + entry.getKey() + ".");
            }
            else
            {
                html.append("<tr><td>").append(escape(prefix + entry.getKey())).append("</td><td>")
                    .append(escape(String.valueOf(entry.getValue()))).append("</td></tr>\n");
            }
        }
    }

    private static void percentilePlot(final StringBuilder html, final Map<String, Histogram> series)
    {
        final int width = 760;
        final int height = 360;
        final int left = 70;
        final int bottom = 40;
        final int top = 20;
        final int right = 20;
        final double maxX = Math.log10(1 / (1 - 0.99999));
        double maxUs = 1;
        for (final Histogram histogram : series.values())
        {
            maxUs = Math.max(maxUs, histogram.getMaxValue());
        }
        final double maxY = Math.log10(maxUs) + 0.1;
        final double minY = 1;
        html.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
            .append(height).append("\" font-size=\"11\">\n");
        for (final double percentile : PERCENTILE_TICKS)
        {
            final double x = left + (width - left - right) * Math.log10(1 / (1 - percentile / 100)) / maxX;
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>" +
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s%%</text>\n",
                x, top, x, height - bottom, x, height - bottom + 15, trim(percentile)));
        }
        for (int decade = 0; decade <= (int)Math.ceil(maxY); decade++)
        {
            if (decade < minY - 1)
            {
                continue;
            }
            final double y = yLog(decade, maxY, height, top, bottom);
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>" +
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left, y, width - right, y, left - 5, y + 4, Measurements.formatUs(Math.pow(10, decade))));
        }
        html.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n", (left + width) / 2, height - 5));
        int colour = 0;
        for (final Map.Entry<String, Histogram> entry : series.entrySet())
        {
            final Histogram histogram = entry.getValue();
            final StringBuilder points = new StringBuilder();
            for (int i = 0; i <= 400; i++)
            {
                final double xLog = maxX * i / 400;
                final double percentile = 100 * (1 - Math.pow(10, -xLog));
                final double us = Math.max(1, histogram.getValueAtPercentile(percentile));
                final double x = left + (width - left - right) * xLog / maxX;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, yLog(Math.log10(us), maxY, height, top, bottom)));
            }
            html.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(COLOURS[colour % COLOURS.length])
                .append("\" points=\"").append(points).append("\"/>\n");
            legend(html, left + 10, top + 15 + 15 * colour, COLOURS[colour % COLOURS.length], entry.getKey() +
                " (p50 " + Measurements.formatUs(histogram.getValueAtPercentile(50)) + ", p99 " +
                Measurements.formatUs(histogram.getValueAtPercentile(99)) + ", max " +
                Measurements.formatUs(histogram.getMaxValue()) + ")");
            colour++;
        }
        html.append("</svg>\n");
    }

    private static double yLog(final double log10, final double maxY, final int height, final int top, final int bottom)
    {
        return height - bottom - (height - top - bottom) * Math.max(0, log10) / maxY;
    }

    private static void throughputPlot(final StringBuilder html, final List<Measurements.Sample> samples)
    {
        final int width = 760;
        final int height = 300;
        final int left = 80;
        final int bottom = 40;
        final int top = 20;
        final int right = 20;
        double maxRate = 1;
        final double maxT = Math.max(1, samples.get(samples.size() - 1).elapsedS());
        for (final Measurements.Sample sample : samples)
        {
            maxRate = Math.max(maxRate, Math.max(sample.sentPerSecond(), Math.max(sample.ackedPerSecond(),
                sample.deliveredPerSecond())));
        }
        maxRate *= 1.1;
        html.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
            .append(height).append("\" font-size=\"11\">\n");
        for (int i = 0; i <= 5; i++)
        {
            final double y = height - bottom - (height - top - bottom) * i / 5.0;
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>" +
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%,.0f/s</text>\n",
                left, y, width - right, y, left - 5, y + 4, maxRate * i / 5));
            final double x = left + (width - left - right) * i / 5.0;
            html.append(String.format(Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f s</text>\n", x, height - bottom + 15, maxT * i / 5));
        }
        final String[] names = { "sent", "acked", "delivered" };
        for (int series = 0; series < names.length; series++)
        {
            final StringBuilder points = new StringBuilder();
            boolean any = false;
            for (final Measurements.Sample sample : samples)
            {
                final double rate = series == 0 ? sample.sentPerSecond() :
                    series == 1 ? sample.ackedPerSecond() : sample.deliveredPerSecond();
                any |= rate > 0;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ",
                    left + (width - left - right) * sample.elapsedS() / maxT,
                    height - bottom - (height - top - bottom) * rate / maxRate));
            }
            if (any)
            {
                html.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(COLOURS[series])
                    .append("\" points=\"").append(points).append("\"/>\n");
                legend(html, left + 10, top + 15 + 15 * series, COLOURS[series], names[series] + " per second");
            }
        }
        html.append("</svg>\n");
    }

    private static void legend(final StringBuilder html, final int x, final int y, final String colour, final String text)
    {
        html.append(String.format(Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
            x, y - 4, colour, x + 18, y, escape(text)));
    }

    private static String trim(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : Double.toString(value);
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
