package io.xin.loadgen.report;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTML report's axes, series and layout, from samples and histograms made here (no run, no clock).
 */
class ReportPlotsTest
{
    private static final Pattern POLYLINE = Pattern.compile("<polyline ([^>]*) points=\"([^\"]*)\"/>");
    private static final Pattern TEXT = Pattern.compile("<text x=\"([0-9.]+)\" y=\"([0-9.]+)\"[^>]*>([^<]*)</text>");

    @Test
    void shouldTickTheTimeAxisAtEveryNiceInterval()
    {
        assertEquals(List.of("0 s", "1 s", "2 s", "3 s", "4 s", "5 s"), Reports.timeTickLabels(5.3));
        assertEquals(List.of("0 s", "1 s", "2 s", "3 s", "4 s", "5 s"), Reports.timeTickLabels(5.0));
        assertEquals(List.of("0 s", "1 s", "2 s", "3 s", "4 s", "5 s", "6 s", "7 s", "8 s", "9 s", "10 s"),
            Reports.timeTickLabels(10.0));
        assertEquals(List.of("0 s", "2 s", "4 s", "6 s", "8 s", "10 s", "12 s"), Reports.timeTickLabels(13.1));
        assertEquals(List.of("0 s", "5 s", "10 s", "15 s", "20 s", "25 s", "30 s", "35 s"), Reports.timeTickLabels(37));
        assertEquals(List.of("0 s", "10 s", "20 s", "30 s", "40 s", "50 s", "60 s"), Reports.timeTickLabels(61.5));
        assertEquals(List.of("0 s", "50 s", "100 s", "150 s", "200 s", "250 s", "300 s"), Reports.timeTickLabels(300));
        assertEquals(List.of("0 s", "1 s"), Reports.timeTickLabels(1.3));
        assertEquals(List.of("0.0 s", "0.1 s", "0.2 s", "0.3 s", "0.4 s", "0.5 s", "0.6 s", "0.7 s", "0.8 s"),
            Reports.timeTickLabels(0.85));
    }

    @Test
    void shouldStepBy1Or2Or5TimesAPowerOfTen()
    {
        assertEquals(200, Reports.niceStep(1_040, 6), 1e-9);
        assertEquals(200, Reports.niceStep(1_000, 5), 1e-9);
        assertEquals(500, Reports.niceStep(1_001, 5), 1e-9);
        assertEquals(5_000, Reports.niceStep(12_345, 6), 1e-9);
        assertEquals(1, Reports.niceStep(6, 6), 1e-9);
        assertEquals(2, Reports.niceStep(6.01, 6), 1e-9);
        assertEquals(10, Reports.niceStep(55, 6), 1e-9);
        assertEquals(0.005, Reports.niceStep(0.03, 6), 1e-12);
        assertEquals(1, Reports.niceStep(0, 6), 1e-9);
        assertEquals(1, Reports.niceStep(Double.NaN, 6), 1e-9);
        for (double m = 0.37; m < 1e7; m *= 1.37)
        {
            final double max = m;
            final double step = Reports.niceStep(max, 6);
            final double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
            assertTrue(Math.abs(mantissa - 1) < 1e-6 || Math.abs(mantissa - 2) < 1e-6 || Math.abs(mantissa - 5) < 1e-6,
                () -> "step " + step);
            assertTrue(max / step <= 6 + 1e-9, () -> max + " in steps of " + step);
            assertTrue(max / step > 6 / 2.5 - 1e-9, () -> max + " in steps of " + step + ": too few");
        }
        assertEquals("1,500", Reports.tickLabel(1_500, 500));
        assertEquals("0.5", Reports.tickLabel(0.5, 0.5));
        assertEquals("0.05", Reports.tickLabel(0.05, 0.05));
        assertEquals(List.of(0.0, 200.0, 400.0, 600.0), Reports.ticks(600, 200));
    }

    @Test
    void shouldEndASeriesAtItsLastActiveSample()
    {
        assertEquals(4, Reports.seriesEnd(new double[] { 1, 2, 0, 3, 0, 0 }));
        assertEquals(3, Reports.seriesEnd(new double[] { 0, 0, 5 }));
        assertEquals(0, Reports.seriesEnd(new double[] { 0, 0 }));
        assertEquals(0, Reports.seriesEnd(new double[0]));
    }

    @Test
    void shouldPlotThroughputUntilTheRunEndedOnRoundRatesWithEverySecondTicked()
    {
        // 5 s of sending at 1,040/s, acks and deliveries one second behind, then 3 empty samples.
        final List<Measurements.Sample> samples = new ArrayList<>();
        for (int i = 1; i <= 9; i++)
        {
            final double sent = i <= 5 ? 1_040 : 0;
            final double delivered = i >= 2 && i <= 6 ? 1_040 : 0;
            samples.add(sample(i, sent, delivered, delivered));
        }
        final StringBuilder svg = new StringBuilder();
        Reports.throughputPlot(svg, samples, 2.5);

        final List<String> polylines = new ArrayList<>();
        final Matcher line = POLYLINE.matcher(svg);
        while (line.find())
        {
            polylines.add(line.group(0));
            final String[] points = line.group(2).trim().split(" ");
            final boolean sent = line.group(1).contains("#7f7f7f");
            assertEquals(sent ? 5 : 6, points.length, "no trailing empty samples: " + line.group(0));
            for (final String point : points)
            {
                assertTrue(Double.parseDouble(point.split(",")[1]) >= Reports.LEGEND_ROW, "no data under the legend");
            }
        }
        assertEquals(3, polylines.size(), svg::toString);
        assertTrue(polylines.get(2).contains("stroke-dasharray"), "acked, dashed, drawn last, on top of delivered");
        assertTrue(polylines.get(0).contains("#2ca02c") && !polylines.get(0).contains("stroke-dasharray"),
            "delivered, wide and solid, drawn first");

        final List<String> labels = new ArrayList<>();
        final Matcher text = TEXT.matcher(svg);
        while (text.find())
        {
            labels.add(text.group(3));
            if (text.group(3).endsWith("per second"))
            {
                assertTrue(Double.parseDouble(text.group(2)) < Reports.LEGEND_ROW, "legend above the plot area");
            }
        }
        for (final String expected : List.of("0/s", "200/s", "400/s", "600/s", "800/s", "1,000/s", "1,200/s",
            "0 s", "1 s", "2 s", "3 s", "4 s", "5 s", "6 s", "target went away"))
        {
            assertTrue(labels.contains(expected), () -> expected + " not in " + labels);
        }
        assertTrue(!labels.contains("1,400/s") && !labels.contains("7 s"), labels::toString);
    }

    @Test
    void shouldShowBothLatencyLinesAndTheLastPercentileLabelWhole()
    {
        final Histogram same = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
        for (int i = 1; i <= 10_000; i++)
        {
            same.recordValue(i * 10L);
        }
        final Map<String, Histogram> series = new LinkedHashMap<>();
        series.put("send→ack", same);
        series.put("send→deliver", same.copy());
        final StringBuilder svg = new StringBuilder();
        Reports.percentilePlot(svg, series);

        final Matcher width = Pattern.compile("width=\"(\\d+)\"").matcher(svg);
        assertTrue(width.find());
        final double svgWidth = Double.parseDouble(width.group(1));
        double highestPoint = Double.MAX_VALUE;
        final List<String> polylines = new ArrayList<>();
        final Matcher line = POLYLINE.matcher(svg);
        while (line.find())
        {
            polylines.add(line.group(1));
            for (final String point : line.group(2).trim().split(" "))
            {
                highestPoint = Math.min(highestPoint, Double.parseDouble(point.split(",")[1]));
            }
        }
        final Matcher text = TEXT.matcher(svg);
        boolean lastLabel = false;
        int legends = 0;
        while (text.find())
        {
            if (text.group(3).equals("99.999%"))
            {
                lastLabel = true;
                // Centred at x; 7 characters of 11 px text are at most about 45 px wide.
                assertTrue(Double.parseDouble(text.group(1)) + 45 / 2.0 <= svgWidth, text.group(0));
            }
            if (text.group(3).startsWith("send→"))
            {
                legends++;
                // The legend's text (its baseline at y) above every point of the lines.
                assertTrue(Double.parseDouble(text.group(2)) + 4 < highestPoint, text.group(0) + " over the data");
                // Whole: at about 6.5 px a character of 11 px type.
                assertTrue(Double.parseDouble(text.group(1)) + text.group(3).length() * 6.5 <= svgWidth,
                    text.group(0) + " cut off");
            }
        }
        assertTrue(lastLabel, svg::toString);
        assertEquals(2, legends);
        assertEquals(2, polylines.size());
        assertTrue(polylines.get(1).contains("stroke-dasharray") && polylines.get(1).contains("#d62728"),
            "send→ack dashed on top of send→deliver: " + polylines);
        assertNotEquals(polylines.get(0), polylines.get(1));
    }

    @Test
    void shouldHeadTheReportWithWhenWhatAndWhere() throws Exception
    {
        final Summary summary = RunHeader.put(new Summary().put("scenario", "chat"),
            Instant.parse("2026-12-05T17:13:27.512Z"), "switch (fsync batch)", "127.0.0.1:43075");
        assertEquals("2026-12-05T17:13:27Z", summary.get("start_utc"));
        assertTrue(String.valueOf(summary.get("xin_version")).matches("\\d+\\.\\d+\\.\\d+.*"),
            () -> "the build's version: " + summary.get("xin_version"));
        assertEquals(RunHeader.hostName(), summary.get("generator_host"));
        assertNotEquals("unknown", RunHeader.hostName());

        final java.nio.file.Path file = java.nio.file.Files.createTempFile("report-", ".html");
        try (Measurements measurements = new Measurements("test", () -> ""))
        {
            Reports.writeHtml(summary, measurements, file);
        }
        final String html = java.nio.file.Files.readString(file);
        java.nio.file.Files.delete(file);
        final String header = html.substring(html.indexOf("</h1>"), html.indexOf("</p>"));
        for (final String expected : List.of("2026-12-05T17:13:27Z", "Xin " + summary.get("xin_version"),
            "switch (fsync batch)", "127.0.0.1:43075", "generator on " + RunHeader.hostName()))
        {
            assertTrue(header.contains(expected), () -> expected + " not in " + header);
        }
    }

    private static Measurements.Sample sample(final double elapsedS, final double sent, final double acked,
        final double delivered)
    {
        final Histogram empty = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
        return new Measurements.Sample(elapsedS, sent, acked, delivered, empty, empty, elapsedS - 1, 1);
    }
}
