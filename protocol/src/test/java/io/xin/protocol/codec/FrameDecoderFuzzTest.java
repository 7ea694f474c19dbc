package io.xin.protocol.codec;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.xin.protocol.pb.Frame;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz targets of the frame decoder and the Frame parser. In a plain build they run
 * the committed corpus ({@code FrameDecoderFuzzTestInputs/<method>/}) as regression tests; with
 * {@code JAZZER_FUZZ=1} Jazzer mutates new inputs (see docs/security.md).
 */
@Tag("fuzz")
public class FrameDecoderFuzzTest
{
    /**
     * Any bytes, cut into chunks of any size, under any cap: the decoder yields frames no longer than
     * the cap, or fails with one of its two documented exceptions and then yields nothing more; it
     * never throws anything else and never leaks a buffer.
     */
    @FuzzTest(maxDuration = "2m")
    void fuzzFrameDecoderFedInChunks(final FuzzedDataProvider data)
    {
        final int cap = data.consumeInt(1, 70_000);
        final List<byte[]> chunks = new ArrayList<>();
        while (data.remainingBytes() > 0)
        {
            chunks.add(data.consumeBytes(data.consumeInt(1, 256)));
        }
        decodeInChunks(cap, chunks);
    }

    /**
     * Every committed input, mutated a few hundred times with a fixed seed (bit flips, bytes
     * overwritten, inserted and cut, chunk sizes), through both byte-level targets: cheap
     * executions in every build, on top of the corpus replay.
     */
    @Test
    void shouldHoldForSeededMutationsOfTheCorpus() throws Exception
    {
        final Random random = new Random(0x5EC7);
        long executions = 0;
        for (final String target : List.of("fuzzFrameDecoderFedInChunks", "fuzzFrameParser"))
        {
            final Path dir = Path.of(FrameDecoderFuzzTest.class.getResource("FrameDecoderFuzzTestInputs/" + target).toURI());
            try (Stream<Path> files = Files.list(dir))
            {
                for (final Path file : files.sorted().toList())
                {
                    final byte[] seed = Files.readAllBytes(file);
                    for (int i = 0; i < MUTATIONS_PER_INPUT; i++)
                    {
                        final byte[] input = mutate(seed, random);
                        fuzzFrameParser(input);
                        final List<byte[]> chunks = new ArrayList<>();
                        for (int at = 0; at < input.length; )
                        {
                            final int length = Math.min(input.length - at, 1 + random.nextInt(64));
                            chunks.add(Arrays.copyOfRange(input, at, at + length));
                            at += length;
                        }
                        decodeInChunks(1 + random.nextInt(random.nextBoolean() ? 64 : 70_000), chunks);
                        executions += 2;
                    }
                }
            }
        }
        System.out.println("FUZZ FrameDecoderFuzzTest seeded-mutation executions=" + executions);
        assertTrue(executions > 0);
    }

    public static byte[] mutate(final byte[] seed, final Random random)
    {
        byte[] bytes = seed.length == 0 ? new byte[]{ (byte)random.nextInt() } : seed.clone();
        for (int edits = 1 + random.nextInt(4); edits > 0; edits--)
        {
            final int at = random.nextInt(bytes.length);
            switch (random.nextInt(4))
            {
                case 0 -> bytes[at] ^= (byte)(1 << random.nextInt(8));
                case 1 -> bytes[at] = (byte)random.nextInt();
                case 2 ->
                {
                    final byte[] longer = new byte[bytes.length + 1];
                    System.arraycopy(bytes, 0, longer, 0, at);
                    longer[at] = (byte)random.nextInt();
                    System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
                    bytes = longer;
                }
                default -> bytes = bytes.length > 1 ? Arrays.copyOf(bytes, Math.max(1, at)) : bytes;
            }
        }
        return bytes;
    }

    private static void decodeInChunks(final int cap, final List<byte[]> chunks)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(cap));
        boolean failed = false;
        try
        {
            for (final byte[] chunk : chunks)
            {
                try
                {
                    channel.writeInbound(Unpooled.wrappedBuffer(chunk));
                }
                catch (final DecoderException ex)
                {
                    assertTrue(ex instanceof TooLongFrameException || ex instanceof CorruptedFrameException ||
                        ex.getCause() instanceof TooLongFrameException ||
                        ex.getCause() instanceof CorruptedFrameException, "undocumented failure: " + ex);
                    assertTrue(!failed, "a decoder fails once, then discards");
                    failed = true;
                }
                Object frame;
                while ((frame = channel.readInbound()) != null)
                {
                    assertTrue(frame instanceof Frame);
                    assertTrue(((Frame)frame).getSerializedSize() <= cap, "a frame over the cap came out");
                }
            }
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * A Frame body the decoder accepts is exactly what protobuf's own parser makes of the same bytes,
     * and it survives a round trip through the encoder.
     */
    private static final int MUTATIONS_PER_INPUT = 500;

    @FuzzTest(maxDuration = "2m")
    void fuzzFrameParser(final byte[] body)
    {
        Frame expected;
        try
        {
            expected = Frame.parseFrom(body);
        }
        catch (final InvalidProtocolBufferException ex)
        {
            expected = null;
        }
        final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(Math.max(1, body.length)));
        final EmbeddedChannel encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        try
        {
            final io.netty.buffer.ByteBuf framed = Unpooled.buffer();
            writeVarint(framed, body.length);
            framed.writeBytes(body);
            final List<Object> frames = new ArrayList<>();
            try
            {
                decoder.writeInbound(framed);
                Object frame;
                while ((frame = decoder.readInbound()) != null)
                {
                    frames.add(frame);
                }
            }
            catch (final DecoderException ex)
            {
                assertEquals(null, expected, "the decoder refused what protobuf parses: " + ex);
                return;
            }
            if (body.length == 0)
            {
                assertEquals(List.of(Frame.getDefaultInstance()), frames);
                return;
            }
            assertEquals(1, frames.size());
            assertEquals(expected, frames.get(0));
            encoder.writeOutbound(frames.get(0));
            final io.netty.buffer.ByteBuf encoded = encoder.readOutbound();
            try
            {
                final byte[] bytes = new byte[encoded.readableBytes()];
                encoded.readBytes(bytes);
                final io.netty.buffer.ByteBuf again = Unpooled.wrappedBuffer(bytes);
                final EmbeddedChannel redecoder = new EmbeddedChannel(new FrameDecoder(Math.max(1, bytes.length)));
                redecoder.writeInbound(again);
                final Frame roundTripped = redecoder.readInbound();
                redecoder.finishAndReleaseAll();
                assertArrayEquals(expected.toByteArray(), roundTripped.toByteArray());
            }
            finally
            {
                encoded.release();
            }
        }
        finally
        {
            decoder.finishAndReleaseAll();
            encoder.finishAndReleaseAll();
        }
    }

    private static void writeVarint(final io.netty.buffer.ByteBuf out, final int value)
    {
        int v = value;
        while ((v & ~0x7F) != 0)
        {
            out.writeByte((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }
}
