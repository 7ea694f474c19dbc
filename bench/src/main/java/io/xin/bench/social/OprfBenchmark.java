package io.xin.bench.social;

import io.xin.bench.CpuPerOperation;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.OprfKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PRF's costs, one thread: what the switch spends per element it evaluates ({@link #serverEvaluateOne}) and per
 * 1,000-entry book ({@link #serverEvaluateBook}, as two requests of 500), what a client spends to blind and
 * finalize a number, and what the key's holder spends per guess when it evaluates the PRF directly over candidate
 * numbers ({@link #keyHolderEvaluate}: the cost of reversing registrations, docs/security.md). Each iteration
 * also prints the benchmark thread's CPU time per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class OprfBenchmark
{
    static final int BOOK = 1_000;
    static final int PER_REQUEST = 500;

    private final SecureRandom random = new SecureRandom();
    private final CpuPerOperation cpu = new CpuPerOperation();
    private OprfKey key;
    private byte[][] numbers;
    private OprfClient.Blinded[] blinded;
    private byte[][] evaluated;
    private List<byte[]> firstHalf;
    private List<byte[]> secondHalf;
    private int next;
    private long operations;

    @Setup
    public void setup()
    {
        final byte[] seed = new byte[32];
        random.nextBytes(seed);
        key = OprfKey.derive(1, seed);
        numbers = new byte[BOOK][];
        blinded = new OprfClient.Blinded[BOOK];
        evaluated = new byte[BOOK][];
        firstHalf = new ArrayList<>();
        secondHalf = new ArrayList<>();
        for (int i = 0; i < BOOK; i++)
        {
            numbers[i] = String.format("+86139%08d", random.nextInt(100_000_000)).getBytes(StandardCharsets.UTF_8);
            blinded[i] = OprfClient.blind(numbers[i], random);
            evaluated[i] = key.blindEvaluate(blinded[i].blindedElement());
            (i < PER_REQUEST ? firstHalf : secondHalf).add(blinded[i].blindedElement());
        }
    }

    @Setup(Level.Iteration)
    public void startCpu()
    {
        cpu.start(operations);
    }

    @TearDown(Level.Iteration)
    public void printCpu()
    {
        cpu.print("op", operations);
    }

    /** The switch: one blinded element checked, multiplied by the key and encoded. */
    @Benchmark
    public byte[] serverEvaluateOne()
    {
        operations++;
        return key.blindEvaluate(blinded[next++ % BOOK].blindedElement());
    }

    /** The switch: a 1,000-entry book's EVALUATE requests, two of 500 elements. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public byte[][] serverEvaluateBook()
    {
        operations++;
        key.blindEvaluate(firstHalf);
        return key.blindEvaluate(secondHalf);
    }

    /** The client: hash to the curve and blind one number. */
    @Benchmark
    public OprfClient.Blinded clientBlind()
    {
        operations++;
        return OprfClient.blind(numbers[next++ % BOOK], random);
    }

    /** The client: unblind one evaluated element and hash it into the output. */
    @Benchmark
    public byte[] clientFinalize()
    {
        operations++;
        final int i = next++ % BOOK;
        return OprfClient.finalizeOutput(blinded[i], evaluated[i]);
    }

    /** The key's holder: the PRF of one candidate number, directly (hash to curve, one multiplication, a hash). */
    @Benchmark
    public byte[] keyHolderEvaluate()
    {
        operations++;
        return key.evaluate(numbers[next++ % BOOK]);
    }
}
