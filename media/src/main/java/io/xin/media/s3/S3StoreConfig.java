package io.xin.media.s3;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where an {@link S3MediaStore} keeps its blobs and how it reaches them. Immutable; the constructor checks every
 * value.
 *
 * @param endpoint      the S3 API's base URL, such as {@code https://s3.eu-central-1.amazonaws.com} or a MinIO,
 *                      Ceph or Garage address; http or https, no user info, path, query or fragment (a
 *                      lone trailing slash is allowed).
 * @param region        the region requests are signed for (S3-compatible stores mostly accept any, often
 *                      {@code us-east-1}).
 * @param bucket        the bucket, which must exist; the store uses it alone (see {@link S3MediaStore}).
 * @param accessKey     the access key id.
 * @param secretKey     the secret access key; never printed by {@link #toString()}.
 * @param pathStyle     true to address the bucket in the path ({@code endpoint/bucket/key}) rather than as a
 *                      host name ({@code bucket.endpoint/key}); most self-hosted stores need path style.
 * @param spoolDir      a local directory for uploads in progress: their state and the bytes of the part being
 *                      filled. One store at a time uses it.
 * @param partSizeBytes the size of each part of a multipart upload but the last: between 5 MiB (S3's least) and
 *                      5 GiB (its most). An upload of at most this size is stored with one PUT.
 */
public record S3StoreConfig(
    URI endpoint,
    String region,
    String bucket,
    String accessKey,
    String secretKey,
    boolean pathStyle,
    Path spoolDir,
    long partSizeBytes)
{
    /** S3's least size of a part that is not the last one. */
    public static final long MIN_PART_SIZE_BYTES = 5L * 1024 * 1024;
    /** S3's largest part. */
    public static final long MAX_PART_SIZE_BYTES = 5L * 1024 * 1024 * 1024;
    /** 8 MiB: the HTTP server's default chunk, so a typical chunk fills about one part. */
    public static final long DEFAULT_PART_SIZE_BYTES = 8L * 1024 * 1024;

    /**
     * @throws IllegalArgumentException if a value is missing or malformed (see the parameters).
     */
    public S3StoreConfig
    {
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null ||
            !("http".equalsIgnoreCase(endpoint.getScheme()) || "https".equalsIgnoreCase(endpoint.getScheme())))
        {
            throw new IllegalArgumentException("endpoint must be an http or https URL: " + endpoint);
        }
        if (endpoint.getRawUserInfo() != null)
        {
            throw new IllegalArgumentException("endpoint must carry no credentials: give accessKey and secretKey");
        }
        if ((endpoint.getRawPath() != null && !endpoint.getRawPath().isEmpty() && !"/".equals(endpoint.getRawPath()))
            || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null)
        {
            throw new IllegalArgumentException("endpoint must have no path, query or fragment: " + endpoint);
        }
        requireText("region", region);
        requireBucketName(bucket);
        requireText("accessKey", accessKey);
        requireText("secretKey", secretKey);
        if (spoolDir == null)
        {
            throw new IllegalArgumentException("spoolDir is required");
        }
        if (partSizeBytes < MIN_PART_SIZE_BYTES || partSizeBytes > MAX_PART_SIZE_BYTES)
        {
            throw new IllegalArgumentException("partSizeBytes must be between " + MIN_PART_SIZE_BYTES + " and " +
                MAX_PART_SIZE_BYTES + ": " + partSizeBytes);
        }
    }

    /**
     * A configuration with path-style addressing and {@link #DEFAULT_PART_SIZE_BYTES} parts.
     *
     * @param endpoint  the S3 API's base URL.
     * @param region    the signing region.
     * @param bucket    the bucket.
     * @param accessKey the access key id.
     * @param secretKey the secret access key.
     * @param spoolDir  the local directory for uploads in progress.
     */
    public S3StoreConfig(
        final URI endpoint,
        final String region,
        final String bucket,
        final String accessKey,
        final String secretKey,
        final Path spoolDir)
    {
        this(endpoint, region, bucket, accessKey, secretKey, true, spoolDir, DEFAULT_PART_SIZE_BYTES);
    }

    /**
     * @return the configuration with the secret key left out, for logs and error messages.
     */
    @Override
    public String toString()
    {
        return "S3StoreConfig[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", accessKey=" +
            accessKey + ", secretKey=(hidden), pathStyle=" + pathStyle + ", spoolDir=" + spoolDir +
            ", partSizeBytes=" + partSizeBytes + "]";
    }

    private static void requireText(final String name, final String value)
    {
        if (value == null || value.isBlank())
        {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    /** S3's bucket naming rules, the part that matters for building URLs: 3 to 63 of a-z, 0-9, '.', '-'. */
    private static void requireBucketName(final String bucket)
    {
        if (bucket == null || bucket.length() < 3 || bucket.length() > 63)
        {
            throw new IllegalArgumentException("bucket must be 3 to 63 characters: " + bucket);
        }
        for (int i = 0; i < bucket.length(); i++)
        {
            final char c = bucket.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            {
                throw new IllegalArgumentException("bucket may hold a-z, 0-9, '.' and '-' only: " + bucket);
            }
        }
    }
}
