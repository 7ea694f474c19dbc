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
import java.util.ArrayList;
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
    /** Summary key of the run's second at which the target first went away (a GoAway or a lost connection). */
    public static final String TARGET_WENT_AWAY_AT_S = "target_went_away_at_s";
    /** Summary keys of the run's header line, with their labels. */
    static final String[][] RUN_KEYS = {
        { "start_utc", "started" }, { "xin_version", "Xin" }, { "target", "target" },
        { "target_address", "at" }, { "generator_host", "generator on" } };

    private static final double[] PERCENTILE_TICKS = { 0, 90, 99, 99.9, 99.99, 99.999 };
    private static final double[] NICE_MANTISSAS = { 1, 2, 5 };
    /** Most steps of the time axis and of the rate axis. */
    private static final int TIME_STEPS = 10;
    private static final int RATE_STEPS = 6;
    /** Height above the plot area that holds a legend of one row. */
    static final int LEGEND_ROW = 34;
    /** Height of each further row of a legend. */
    private static final int LEGEND_LINE = 15;
    /** send→deliver wide and solid, send→ack dashed on top of it: equal latencies still show both. */
    private static final Map<String, Style> LATENCY_STYLES = Map.of(
        "send→ack", new Style("#d62728", 2, "7 4"),
        "send→deliver", new Style("#1f77b4", 3.5, null));
    /** sent, acked, delivered: delivered wide, acked dashed on top of it, as they carry the same rate. */
    private static final Style[] THROUGHPUT_STYLES = {
        new Style("#7f7f7f", 2, null), new Style("#d62728", 2, "7 4"), new Style("#2ca02c", 4, null) };

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
            if (value == null || value instanceof Map<?, ?> empty && empty.isEmpty())
            {
                continue; // nothing to say (no target going away, no failure reasons): the JSON keeps the key
            }
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
            .append("h2{margin-top:1.5em}.run{color:#555}</style></head><body>\n<h1>").append(escape(title))
            .append("</h1>\n");
        header(html, summary);

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
            throughputPlot(html, samples, summary.get(TARGET_WENT_AWAY_AT_S) instanceof Number away ?
                away.doubleValue() : -1);
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

    /**
     * When, with what and against what the run ran: the summary's {@link #RUN_KEYS}, as a line under the title.
     */
    private static void header(final StringBuilder html, final Summary summary)
    {
        final StringBuilder line = new StringBuilder();
        for (final String[] key : RUN_KEYS)
        {
            final Object value = summary.get(key[0]);
            if (value != null)
            {
                line.append(line.length() == 0 ? "" : " &middot; ").append(escape(key[1])).append(' ')
                    .append(escape(String.valueOf(value)));
            }
        }
        if (line.length() > 0)
        {
            html.append("<p class=\"run\">").append(line).append("</p>\n");
        }
        // A run that failed, or whose target went away, says so before any figure.
        if (summary.get("result") instanceof String result && !result.equals("ok"))
        {
            html.append("<p><strong>").append(escape(result)).append("</strong></p>\n");
        }
    }

    static void percentilePlot(final StringBuilder html, final Map<String, Histogram> series)
    {
        final int width = 760;
        final int height = 380;
        final int left = 70;
        final int bottom = 40;
        // Room for half of the last tick's label ("99.999%") right of the plot area.
        final int right = 40;
        final double maxX = Math.log10(1 / (1 - 0.99999));
        double maxUs = 1;
        for (final Histogram histogram : series.values())
        {
            maxUs = Math.max(maxUs, histogram.getMaxValue());
        }
        final double maxY = Math.log10(maxUs) + 0.1;
        final List<String> names = new ArrayList<>();
        for (final Map.Entry<String, Histogram> entry : series.entrySet())
        {
            final Histogram histogram = entry.getValue();
            names.add(entry.getKey() + " (p50 " + Measurements.formatUs(histogram.getValueAtPercentile(50)) +
                ", p99 " + Measurements.formatUs(histogram.getValueAtPercentile(99)) + ", max " +
                Measurements.formatUs(histogram.getMaxValue()) + ")");
        }
        final int top = plotTop(names, left, width);
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
        for (int decade = 0; decade <= maxY; decade++)
        {
            final double y = yLog(decade, maxY, height, top, bottom);
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>" +
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left, y, width - right, y, left - 5, y + 4, Measurements.formatUs(Math.pow(10, decade))));
        }
        html.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n", (left + width - right) / 2,
            height - 5));
        final List<Line> lines = new ArrayList<>();
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
            lines.add(new Line(names.get(lines.size()), LATENCY_STYLES.get(entry.getKey()), points));
        }
        draw(html, lines, left, width);
        html.append("</svg>\n");
    }

    private static double yLog(final double log10, final double maxY, final int height, final int top, final int bottom)
    {
        return height - bottom - (height - top - bottom) * Math.max(0, log10) / maxY;
    }

    static void throughputPlot(
        final StringBuilder html, final List<Measurements.Sample> samples, final double targetWentAwayAtS)
    {
        final int width = 760;
        final int height = 320;
        final int left = 80;
        final int bottom = 40;
        final int right = 30;
        final String[] names = { "sent", "acked", "delivered" };
        final double[][] rates = new double[names.length][samples.size()];
        final int[] ends = new int[names.length];
        double maxRate = 0;
        double maxT = 0;
        for (int series = 0; series < names.length; series++)
        {
            for (int i = 0; i < samples.size(); i++)
            {
                final Measurements.Sample sample = samples.get(i);
                rates[series][i] = series == 0 ? sample.sentPerSecond() :
                    series == 1 ? sample.ackedPerSecond() : sample.deliveredPerSecond();
            }
            ends[series] = seriesEnd(rates[series]);
            for (int i = 0; i < ends[series]; i++)
            {
                maxRate = Math.max(maxRate, rates[series][i]);
            }
            if (ends[series] > 0)
            {
                maxT = Math.max(maxT, samples.get(ends[series] - 1).elapsedS());
            }
        }
        if (maxT <= 0)
        {
            return;
        }
        final List<String> legend = new ArrayList<>();
        for (int series = 0; series < names.length; series++)
        {
            if (ends[series] > 0)
            {
                legend.add(names[series] + " per second");
            }
        }
        final int top = plotTop(legend, left, width);
        final double rateStep = niceStep(maxRate, RATE_STEPS);
        final double rateTop = Math.max(1, Math.ceil(maxRate / rateStep - 1e-9)) * rateStep;
        final double timeStep = timeStep(maxT);
        final int plotWidth = width - left - right;
        final int plotHeight = height - top - bottom;
        html.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
            .append(height).append("\" font-size=\"11\">\n");
        for (final double rate : ticks(rateTop, rateStep))
        {
            final double y = height - bottom - plotHeight * rate / rateTop;
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>" +
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s/s</text>\n",
                left, y, width - right, y, left - 5, y + 4, tickLabel(rate, rateStep)));
        }
        for (final double t : ticks(maxT, timeStep))
        {
            final double x = left + plotWidth * t / maxT;
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>" +
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s s</text>\n",
                x, top, x, height - bottom, x, height - bottom + 15, tickLabel(t, timeStep)));
        }
        if (targetWentAwayAtS >= 0 && targetWentAwayAtS <= maxT)
        {
            final double x = left + plotWidth * targetWentAwayAtS / maxT;
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>" +
                "<text x=\"%.1f\" y=\"%d\" fill=\"#555\">target went away</text>\n",
                x, top, x, height - bottom, x + 4, top + 12));
        }
        final List<Line> lines = new ArrayList<>();
        for (int series = 0; series < names.length; series++)
        {
            if (ends[series] == 0)
            {
                continue;
            }
            final StringBuilder points = new StringBuilder();
            for (int i = 0; i < ends[series]; i++)
            {
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ",
                    left + plotWidth * samples.get(i).elapsedS() / maxT,
                    height - bottom - plotHeight * rates[series][i] / rateTop));
            }
            lines.add(new Line(names[series] + " per second", THROUGHPUT_STYLES[series], points));
        }
        draw(html, lines, left, width);
        html.append("</svg>\n");
    }

    /**
     * @return the top of a plot area below the legend of these lines, in as many rows as it takes.
     */
    private static int plotTop(final List<String> names, final int left, final int width)
    {
        int rows = 1;
        int x = left;
        for (final String name : names)
        {
            if (x > left && x + legendWidth(name) > width)
            {
                rows++;
                x = left;
            }
            x += legendWidth(name);
        }
        return LEGEND_ROW + LEGEND_LINE * (rows - 1);
    }

    private static int legendWidth(final String name)
    {
        // A 24 px sample of the line, then the text at about 6.5 px a character of 11 px type.
        return 30 + (int)Math.ceil(name.length() * 6.5) + 16;
    }

    /**
     * Draw the lines, the wide ones first so that a narrow or dashed line on the same values stays visible on
     * top, and their legend as a row above the plot area, where it covers no data.
     */
    private static void draw(final StringBuilder html, final List<Line> lines, final int left, final int width)
    {
        final List<Line> byWidth = new ArrayList<>(lines);
        byWidth.sort((a, b) -> Double.compare(b.style.width, a.style.width));
        for (final Line line : byWidth)
        {
            html.append("<polyline fill=\"none\" stroke-width=\"").append(line.style.width).append("\" stroke=\"")
                .append(line.style.colour).append('"');
            if (line.style.dash != null)
            {
                html.append(" stroke-dasharray=\"").append(line.style.dash).append('"');
            }
            html.append(" points=\"").append(line.points).append("\"/>\n");
        }
        int x = left;
        int y = 16;
        for (final Line line : lines)
        {
            if (x > left && x + legendWidth(line.name) > width)
            {
                x = left;
                y += LEGEND_LINE;
            }
            html.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\"%s/>" +
                "<text x=\"%d\" y=\"%d\">%s</text>\n",
                x, y, x + 24, y, line.style.colour, line.style.width,
                line.style.dash == null ? "" : " stroke-dasharray=\"" + line.style.dash + "\"", x + 30, y + 4,
                escape(line.name)));
            x += legendWidth(line.name);
        }
    }

    /**
     * The step of an axis from 0 to {@code max}: 1, 2 or 5 times a power of ten, the smallest that needs at
     * most {@code maxSteps} steps.
     *
     * @param max      the highest value to show.
     * @param maxSteps most steps from 0 to it.
     * @return the step; 1 when {@code max} is not a positive number.
     */
    static double niceStep(final double max, final int maxSteps)
    {
        if (!(max > 0) || Double.isInfinite(max))
        {
            return 1;
        }
        final double least = max / maxSteps;
        final double magnitude = Math.pow(10, Math.floor(Math.log10(least)));
        for (final double mantissa : NICE_MANTISSAS)
        {
            final double step = mantissa * magnitude;
            // A tolerance for rounding: 6 s in 6 steps takes steps of 1 s, not 2 s.
            if (step >= least * (1 - 1e-9))
            {
                return step;
            }
        }
        return 10 * magnitude;
    }

    /**
     * @param max  the axis' end.
     * @param step its step.
     * @return every multiple of {@code step} from 0 to {@code max}, none skipped.
     */
    static List<Double> ticks(final double max, final double step)
    {
        final List<Double> ticks = new ArrayList<>();
        for (int i = 0; i * step <= max * (1 + 1e-9); i++)
        {
            ticks.add(i * step);
        }
        return ticks;
    }

    /**
     * @param value a tick's value.
     * @param step  the axis' step.
     * @return the value with as many decimals as the step needs: "3", "1,500", "0.5".
     */
    static String tickLabel(final double value, final double step)
    {
        final int decimals = step >= 1 ? 0 : (int)Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /**
     * @param maxS a run's length in seconds.
     * @return the labels of its throughput plot's time axis.
     */
    static List<String> timeTickLabels(final double maxS)
    {
        final double step = timeStep(maxS);
        final List<String> labels = new ArrayList<>();
        for (final double t : ticks(maxS, step))
        {
            labels.add(tickLabel(t, step) + " s");
        }
        return labels;
    }

    /**
     * @return the time axis' step: whole seconds (the samples' interval) unless the run is shorter than one.
     */
    private static double timeStep(final double maxS)
    {
        return Math.max(niceStep(maxS, TIME_STEPS), maxS >= 1 ? 1 : 0);
    }

    /**
     * @param rates a series' rate per sample.
     * @return how many samples to plot: up to the last one with anything in it, so that a series ends where
     *         its activity ended (the last send, the end of the drain) rather than falling to 0 after it.
     */
    static int seriesEnd(final double[] rates)
    {
        int end = rates.length;
        while (end > 0 && !(rates[end - 1] > 0))
        {
            end--;
        }
        return end;
    }

    private static String trim(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : Double.toString(value);
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private record Style(String colour, double width, String dash)
    {
    }

    private record Line(String name, Style style, CharSequence points)
    {
    }
}
