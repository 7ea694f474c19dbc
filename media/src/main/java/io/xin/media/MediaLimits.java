package io.xin.media;

import java.time.Duration;

/**
 * The limits a media store enforces. Immutable; every value is validated by the constructor.
 * <ul>
 *   <li>{@code maxImageBytes}, {@code maxVideoBytes}, {@code maxAudioBytes}, {@code maxOtherBytes}: the largest
 *   declared size of an upload whose content type is {@code image/*}, {@code video/*}, {@code audio/*} or
 *   anything else. An upload declaring more is refused at creation ({@link MediaException.Reason#TOO_LARGE});
 *   at least 1 each.</li>
 *   <li>{@code maxUploadsPerOwner}: uploads one owner may have in progress (created, neither completed nor
 *   expired) at once; one more is refused ({@link MediaException.Reason#TOO_MANY_UPLOADS}). At least 1.</li>
 *   <li>{@code maxUploadLifetime}: the furthest in the future an upload's expiry may be set; a later one is
 *   refused ({@link MediaException.Reason#INVALID_ARGUMENT}). Positive.</li>
 * </ul>
 *
 * @param maxImageBytes      largest {@code image/*} upload, in bytes.
 * @param maxVideoBytes      largest {@code video/*} upload, in bytes.
 * @param maxAudioBytes      largest {@code audio/*} upload, in bytes.
 * @param maxOtherBytes      largest upload of any other content type, in bytes.
 * @param maxUploadsPerOwner uploads in progress per owner.
 * @param maxUploadLifetime  how long after its creation an upload may expire at the latest.
 */
public record MediaLimits(
    long maxImageBytes,
    long maxVideoBytes,
    long maxAudioBytes,
    long maxOtherBytes,
    int maxUploadsPerOwner,
    Duration maxUploadLifetime)
{
    /** 25 MiB: a full-resolution phone photo is 3 to 12 MB. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 25L * 1024 * 1024;
    /** 512 MiB: a few minutes of phone video. */
    public static final long DEFAULT_MAX_VIDEO_BYTES = 512L * 1024 * 1024;
    /** 50 MiB: voice notes are small; this leaves room for long recordings. */
    public static final long DEFAULT_MAX_AUDIO_BYTES = 50L * 1024 * 1024;
    /** 100 MiB: documents and everything else. */
    public static final long DEFAULT_MAX_OTHER_BYTES = 100L * 1024 * 1024;
    public static final int DEFAULT_MAX_UPLOADS_PER_OWNER = 8;
    /** A day: long enough to resume over a bad link, short enough that abandoned parts do not pile up. */
    public static final Duration DEFAULT_MAX_UPLOAD_LIFETIME = Duration.ofHours(24);

    /** The defaults above. */
    public static final MediaLimits DEFAULTS = new MediaLimits(
        DEFAULT_MAX_IMAGE_BYTES,
        DEFAULT_MAX_VIDEO_BYTES,
        DEFAULT_MAX_AUDIO_BYTES,
        DEFAULT_MAX_OTHER_BYTES,
        DEFAULT_MAX_UPLOADS_PER_OWNER,
        DEFAULT_MAX_UPLOAD_LIFETIME);

    /**
     * @throws IllegalArgumentException if a size or the upload count is below 1, or the lifetime is null,
     *                                  zero or negative.
     */
    public MediaLimits
    {
        requirePositive("maxImageBytes", maxImageBytes);
        requirePositive("maxVideoBytes", maxVideoBytes);
        requirePositive("maxAudioBytes", maxAudioBytes);
        requirePositive("maxOtherBytes", maxOtherBytes);
        requirePositive("maxUploadsPerOwner", maxUploadsPerOwner);
        if (maxUploadLifetime == null || maxUploadLifetime.isZero() || maxUploadLifetime.isNegative())
        {
            throw new IllegalArgumentException("maxUploadLifetime must be positive: " + maxUploadLifetime);
        }
    }

    /**
     * @param contentType a content type, already checked ({@link MediaIds#requireContentType}).
     * @return the largest upload allowed for it, by its family (the part before the slash).
     */
    public long maxBytesFor(final String contentType)
    {
        if (contentType.startsWith("image/"))
        {
            return maxImageBytes;
        }
        if (contentType.startsWith("video/"))
        {
            return maxVideoBytes;
        }
        if (contentType.startsWith("audio/"))
        {
            return maxAudioBytes;
        }
        return maxOtherBytes;
    }

    private static void requirePositive(final String name, final long value)
    {
        if (value < 1)
        {
            throw new IllegalArgumentException(name + " must be at least 1: " + value);
        }
    }
}
