package io.xin.core.status;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The list of counters ({@link SwitchCounter}) and the fields of {@link SwitchCounters} are one: every field is
 * an entry, every entry a field, and every exported series is documented.
 */
class SwitchCountersTest
{
    @Test
    void shouldBindEveryCounterOfTheListToOneFieldThatItReads() throws IllegalAccessException
    {
        final SwitchCounters counters = new SwitchCounters();
        final Set<SwitchCounter> bound = new HashSet<>();
        long expected = 0;
        for (final Field field : SwitchCounters.class.getDeclaredFields())
        {
            if (!Modifier.isPublic(field.getModifiers()))
            {
                continue;
            }
            expected++;
            final Object value = field.get(counters);
            if (value instanceof LongAdder adder)
            {
                adder.add(expected);
            }
            else
            {
                ((AtomicLong)value).set(expected);
            }
            SwitchCounter found = null;
            for (final SwitchCounter counter : SwitchCounter.values())
            {
                if (counters.value(counter) == expected)
                {
                    found = counter;
                }
            }
            assertNotNull(found, field.getName() + " is bound to no SwitchCounter");
            assertTrue(bound.add(found), found + " bound twice");
            assertEquals(found.name(), field.getName().replaceAll("([A-Z])", "_$1").toUpperCase(java.util.Locale.ROOT),
                "a field is named after its counter");
        }
        assertEquals(SwitchCounter.values().length, bound.size(), "every counter of the list has a field");
    }

    @Test
    void shouldGiveEverySeriesOneHelpAndOneKind()
    {
        String series = null;
        for (final SwitchCounter counter : SwitchCounter.values())
        {
            if (counter.metricName() == null)
            {
                continue;
            }
            assertTrue(counter.metricName().matches("xin_[a-z_]+"), counter.metricName());
            final boolean first = !counter.metricName().equals(series);
            assertEquals(first, counter.help() != null, counter + ": help on the first counter of a series only");
            series = counter.metricName();
        }
    }

    @Test
    void shouldDocumentEveryExportedSeriesInOperations() throws IOException
    {
        final Path operations = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent()
            .resolve("docs/operations.md");
        final String doc = Files.readString(operations, StandardCharsets.UTF_8);
        for (final SwitchCounter counter : SwitchCounter.values())
        {
            if (counter.metricName() != null)
            {
                final String series = counter.metricName() +
                    (counter.kind() == SwitchCounter.Kind.COUNTER ? "_total" : "");
                assertTrue(doc.contains("`" + series + "`") || doc.contains("`" + series + "{"), series);
            }
        }
    }
}
