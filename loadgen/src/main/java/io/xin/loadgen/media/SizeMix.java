package io.xin.loadgen.media;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The sizes of the files a media run uploads, by weight: {@code 48k:50,400k:35,3m:12,16m:3} (k, m: KiB, MiB)
 * means half voice-note-sized files, a third photos, and a few videos. The content type follows the size: up to
 * {@link #VOICE_MAX_BYTES} a voice note (audio/ogg), up to {@link #PHOTO_MAX_BYTES} a photo (image/jpeg), above a
 * video (video/mp4), so each counts against its own family's limit as a phone's would.
 */
public final class SizeMix
{
    /** The default mix: mostly voice notes and photos, a few short videos. */
    public static final String DEFAULT = "48k:50,400k:35,3m:12,16m:3";
    /** Largest file sent as a voice note. */
    static final long VOICE_MAX_BYTES = 128 * 1024;
    /** Largest file sent as a photo. */
    static final long PHOTO_MAX_BYTES = 4 * 1024 * 1024;

    private final List<Long> sizes = new ArrayList<>();
    private final List<Double> cumulative = new ArrayList<>();
    private final String text;

    private SizeMix(final String text)
    {
        this.text = text;
    }

    /**
     * @param mix {@code size:weight,...}; sizes in bytes or with a k or m suffix, weights positive.
     * @return the mix.
     * @throws IllegalArgumentException if it is malformed.
     */
    public static SizeMix parse(final String mix)
    {
        final SizeMix parsed = new SizeMix(mix);
        double total = 0;
        for (final String part : mix.split(","))
        {
            final String[] sizeAndWeight = part.trim().split(":");
            if (sizeAndWeight.length != 2)
            {
                throw new IllegalArgumentException("a size mix is size:weight,...: " + mix);
            }
            final long size = bytes(sizeAndWeight[0].trim());
            final double weight;
            try
            {
                weight = Double.parseDouble(sizeAndWeight[1].trim());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("a weight is a number: " + part);
            }
            if (size < 1 || size > Integer.MAX_VALUE - 64 || !(weight > 0))
            {
                throw new IllegalArgumentException("sizes must be 1 byte to 2 GiB, weights positive: " + part);
            }
            total += weight;
            parsed.sizes.add(size);
            parsed.cumulative.add(total);
        }
        for (int i = 0; i < parsed.cumulative.size(); i++)
        {
            parsed.cumulative.set(i, parsed.cumulative.get(i) / total);
        }
        return parsed;
    }

    /**
     * @param random the run's random numbers.
     * @return a size drawn by weight.
     */
    public long pick(final SplittableRandom random)
    {
        final double draw = random.nextDouble();
        for (int i = 0; i < sizes.size(); i++)
        {
            if (draw < cumulative.get(i))
            {
                return sizes.get(i);
            }
        }
        return sizes.get(sizes.size() - 1);
    }

    /**
     * @return the mean size in bytes.
     */
    public double meanBytes()
    {
        double mean = 0;
        double previous = 0;
        for (int i = 0; i < sizes.size(); i++)
        {
            mean += sizes.get(i) * (cumulative.get(i) - previous);
            previous = cumulative.get(i);
        }
        return mean;
    }

    /**
     * @return the largest size.
     */
    public long maxBytes()
    {
        return sizes.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /**
     * @param size a file's size.
     * @return its content type: a voice note, a photo or a video by size.
     */
    public static String contentType(final long size)
    {
        return size <= VOICE_MAX_BYTES ? "audio/ogg" : size <= PHOTO_MAX_BYTES ? "image/jpeg" : "video/mp4";
    }

    private static long bytes(final String size)
    {
        final String lower = size.toLowerCase(Locale.ROOT);
        final long unit = lower.endsWith("k") ? 1024 : lower.endsWith("m") ? 1024 * 1024 : 1;
        final String digits = unit == 1 ? lower : lower.substring(0, lower.length() - 1);
        try
        {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        }
        catch (final NumberFormatException | ArithmeticException ex)
        {
            throw new IllegalArgumentException("a size is bytes, or a number with k or m: " + size);
        }
    }

    @Override
    public String toString()
    {
        return text;
    }
}
