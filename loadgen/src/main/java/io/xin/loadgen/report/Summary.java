package io.xin.loadgen.report;

import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of a run as ordered key/value pairs: printed as text, written as JSON, shown in HTML.
 * Values are numbers, strings, booleans or nested summaries (latency objects).
 */
public final class Summary
{
    private final Map<String, Object> values = new LinkedHashMap<>();

    /**
     * @param key   snake_case key.
     * @param value number, string, boolean, map or null.
     * @return this.
     */
    public Summary put(final String key, final Object value)
    {
        values.put(key, value);
        return this;
    }

    public Object get(final String key)
    {
        return values.get(key);
    }

    public long getLong(final String key)
    {
        final Object value = values.get(key);
        return value instanceof Number number ? number.longValue() : 0;
    }

    public Map<String, Object> values()
    {
        return values;
    }

    /**
     * @param histogram latencies in microseconds.
     * @return {@code p50, p90, p99, p999, max, mean, count}, in microseconds; zeros when empty.
     */
    public static Map<String, Object> latency(final Histogram histogram)
    {
        final Map<String, Object> latency = new LinkedHashMap<>();
        final boolean empty = histogram.getTotalCount() == 0;
        latency.put("p50", empty ? 0 : histogram.getValueAtPercentile(50));
        latency.put("p90", empty ? 0 : histogram.getValueAtPercentile(90));
        latency.put("p99", empty ? 0 : histogram.getValueAtPercentile(99));
        latency.put("p999", empty ? 0 : histogram.getValueAtPercentile(99.9));
        latency.put("max", empty ? 0 : histogram.getMaxValue());
        latency.put("mean", empty ? 0 : Math.round(histogram.getMean()));
        latency.put("count", histogram.getTotalCount());
        return latency;
    }
}
