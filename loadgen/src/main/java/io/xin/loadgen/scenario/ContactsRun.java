package io.xin.loadgen.scenario;

import io.xin.client.ContactDiscovery;
import io.xin.client.XinClientException;
import io.xin.loadgen.report.Measurements;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * The {@code contacts} scenario: every user of the fleet registers its own number, then each discovers an
 * address book of {@code book} numbers, {@code hitRatio} of them other users' numbers and the rest numbers nobody
 * registered, with {@code concurrency} discoveries in flight at once (a closed loop: the latency is the time a
 * discovery takes under that load). Each discovery's answer is checked against the numbers the run registered.
 * The client's elliptic-curve work (blinding, unblinding) runs on {@code cpu}, in this process.
 */
public final class ContactsRun
{
    private final Fleet fleet;
    private final int book;
    private final double hitRatio;
    private final int concurrency;
    private final int batchSize;
    private final Executor cpu;
    private final long seed;

    /** What the run did. */
    public static final class Outcome
    {
        public long registered;
        public long registerFailures;
        public long registerMs;
        public long discoveries;
        public long discoveryFailures;
        /** Discoveries whose answer differed from the registered numbers in their book. */
        public long mismatches;
        public long discoverMs;
        public final Histogram latencyUs = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
        public final Map<String, Long> failures = new HashMap<>();
    }

    public ContactsRun(
        final Fleet fleet,
        final int book,
        final double hitRatio,
        final int concurrency,
        final int batchSize,
        final Executor cpu,
        final long seed)
    {
        this.fleet = fleet;
        this.book = book;
        this.hitRatio = hitRatio;
        this.concurrency = concurrency;
        this.batchSize = batchSize;
        this.cpu = cpu;
        this.seed = seed;
    }

    /** The number user {@code userId} registers: +86 139 and eight digits of the id. */
    public static String number(final long userId)
    {
        return String.format("+86139%08d", userId % 100_000_000);
    }

    /**
     * Registers every user, then runs every user's discovery.
     *
     * @param timeoutMs the longest either phase may take.
     */
    public Outcome run(final long timeoutMs) throws InterruptedException, TimeoutException
    {
        final Outcome outcome = new Outcome();
        final int users = fleet.size();
        long startNs = System.nanoTime();
        final LongAdder registerFailures = new LongAdder();
        runAll(users, timeoutMs, i -> discovery(i).register(number(fleet.session(i).userId()))
            .handle((keyId, failure) ->
            {
                if (failure != null)
                {
                    registerFailures.increment();
                    count(outcome, failure);
                }
                return null;
            }));
        outcome.registerMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        outcome.registerFailures = registerFailures.sum();
        outcome.registered = users - outcome.registerFailures;

        final SplittableRandom random = new SplittableRandom(seed);
        final List<List<String>> books = new ArrayList<>();
        final List<Map<String, Long>> expected = new ArrayList<>();
        for (int i = 0; i < users; i++)
        {
            final Map<String, Long> hits = new HashMap<>();
            final List<String> entries = new ArrayList<>(book);
            final int wanted = Math.min(users - 1, (int)Math.round(book * hitRatio));
            while (hits.size() < wanted)
            {
                final int other = random.nextInt(users);
                if (other != i)
                {
                    final long otherId = fleet.session(other).userId();
                    hits.put(number(otherId), otherId);
                }
            }
            entries.addAll(hits.keySet());
            while (entries.size() < book)
            {
                entries.add(String.format("+86137%08d", random.nextInt(100_000_000)));
            }
            Collections.shuffle(entries, new Random(random.nextLong()));
            books.add(entries);
            expected.add(hits);
        }

        final LongAdder discoveries = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder mismatches = new LongAdder();
        startNs = System.nanoTime();
        runAll(users, timeoutMs, i ->
        {
            final long began = System.nanoTime();
            return discovery(i).discover(books.get(i)).handle((found, failure) ->
            {
                if (failure != null)
                {
                    failures.increment();
                    count(outcome, failure);
                    return null;
                }
                synchronized (outcome)
                {
                    outcome.latencyUs.recordValue(
                        Math.max(1, TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - began)));
                }
                discoveries.increment();
                if (!found.equals(expected.get(i)))
                {
                    mismatches.increment();
                }
                return null;
            });
        });
        outcome.discoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        outcome.discoveries = discoveries.sum();
        outcome.discoveryFailures = failures.sum();
        outcome.mismatches = mismatches.sum();
        return outcome;
    }

    private ContactDiscovery discovery(final int userIndex)
    {
        return new ContactDiscovery(fleet.session(userIndex).client(), "86", batchSize, cpu);
    }

    /** Runs {@code task} for users 0..count-1, {@link #concurrency} at a time, and waits for all. */
    private void runAll(final int count, final long timeoutMs, final IntFunction<CompletableFuture<?>> task)
        throws InterruptedException, TimeoutException
    {
        final Semaphore inFlight = new Semaphore(concurrency);
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (int i = 0; i < count; i++)
        {
            if (!inFlight.tryAcquire(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS))
            {
                throw new TimeoutException("the contacts scenario took over " + timeoutMs + " ms");
            }
            task.apply(i).whenComplete((ignored, failure) -> inFlight.release());
        }
        if (!inFlight.tryAcquire(concurrency, Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS))
        {
            throw new TimeoutException("the contacts scenario took over " + timeoutMs + " ms");
        }
        inFlight.release(concurrency);
    }

    private static void count(final Outcome outcome, final Throwable failure)
    {
        Throwable cause = failure;
        while (cause.getCause() != null && cause instanceof CompletionException)
        {
            cause = cause.getCause();
        }
        final String reason = cause instanceof XinClientException ex ? ex.code().name() :
            cause.getClass().getSimpleName();
        synchronized (outcome)
        {
            outcome.failures.merge(reason, 1L, Long::sum);
        }
    }
}
