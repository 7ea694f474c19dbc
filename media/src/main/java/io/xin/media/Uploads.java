package io.xin.media;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The rules every {@link MediaStore} applies to uploads in the same words: the checks of a new upload's request,
 * the refusals of a chunk (gone, expired, wrong offset, too large), and the listings and sums over the uploads in
 * progress. One copy, so the local store and the object storage store refuse the same things the same way.
 * <p>
 * Stateless; any thread.
 */
public final class Uploads
{
    /**
     * An upload in progress as a store keeps it: the fixed facts these rules read.
     */
    public interface Pending
    {
        /** @return its id. */
        String id();

        /** @return the user uploading. */
        long ownerId();

        /** @return the declared size. */
        long size();

        /** @return the content type, lowercase. */
        String contentType();

        /** @return the declared SHA-256, lowercase hex. */
        String sha256();

        /** @return when it stops taking bytes. */
        Instant expiresAt();
    }

    private Uploads()
    {
    }

    /**
     * Checks a new upload's request against the limits, in the order a client is told about its first mistake:
     * presence, size, content type, SHA-256, expiry, then the size limit of the content type.
     *
     * @param request what the client declared.
     * @param now     the store's time.
     * @param limits  the store's limits.
     * @return the request with its content type in lowercase.
     * @throws MediaException {@link MediaException.Reason#INVALID_ARGUMENT} for a malformed request or expiry,
     *                        {@link MediaException.Reason#TOO_LARGE} for a size over its content type's limit.
     */
    public static UploadRequest checkRequest(final UploadRequest request, final Instant now, final MediaLimits limits)
    {
        if (request == null)
        {
            throw invalid("upload request is null");
        }
        if (request.size() < 1)
        {
            throw invalid("upload size must be at least 1: " + request.size());
        }
        final String contentType = MediaIds.requireContentType(request.contentType());
        final String sha256 = MediaIds.requireBlobId(request.sha256());
        final Instant expiresAt = request.expiresAt();
        if (expiresAt == null || !expiresAt.isAfter(now))
        {
            throw invalid("upload expiry must be in the future: " + expiresAt);
        }
        if (expiresAt.isAfter(now.plus(limits.maxUploadLifetime())))
        {
            throw invalid("upload expiry " + expiresAt + " is further than " + limits.maxUploadLifetime() +
                " from now");
        }
        final long maxBytes = limits.maxBytesFor(contentType);
        if (request.size() > maxBytes)
        {
            throw new MediaException(MediaException.Reason.TOO_LARGE,
                "upload of " + request.size() + " bytes of " + contentType + " is over the limit of " + maxBytes);
        }
        return new UploadRequest(request.ownerId(), request.size(), contentType, sha256, expiresAt);
    }

    /**
     * Refuses one more upload to an owner who has as many in progress as the limits allow.
     *
     * @param uploads the uploads in progress.
     * @param ownerId the owner asking for one more.
     * @param now     the store's time; expired uploads do not count.
     * @param limits  the store's limits.
     * @throws MediaException {@link MediaException.Reason#TOO_MANY_UPLOADS} if the owner is at the limit.
     */
    public static void requireRoomFor(
        final Collection<? extends Pending> uploads,
        final long ownerId,
        final Instant now,
        final MediaLimits limits)
    {
        final long inProgress = uploads.stream()
            .filter(u -> u.ownerId() == ownerId && now.isBefore(u.expiresAt()))
            .count();
        if (inProgress >= limits.maxUploadsPerOwner())
        {
            throw new MediaException(MediaException.Reason.TOO_MANY_UPLOADS,
                "owner " + ownerId + " has " + inProgress + " uploads in progress, the limit");
        }
    }

    /**
     * @param uploads the uploads in progress.
     * @param ownerId an owner.
     * @param now     the store's time; expired uploads do not count.
     * @return the declared sizes of the owner's uploads in progress, summed.
     */
    public static long bytesInProgress(final Collection<? extends Pending> uploads, final long ownerId,
        final Instant now)
    {
        long bytes = 0;
        for (final Pending upload : uploads)
        {
            if (upload.ownerId() == ownerId && now.isBefore(upload.expiresAt()))
            {
                bytes += upload.size();
            }
        }
        return bytes;
    }

    /**
     * @param uploads the uploads in progress.
     * @param before  a time, not null.
     * @return the ids of the uploads expired at that time, in id order.
     * @throws MediaException {@link MediaException.Reason#INVALID_ARGUMENT} if the time is null.
     */
    public static List<String> expiredBy(final Collection<? extends Pending> uploads, final Instant before)
    {
        if (before == null)
        {
            throw invalid("time is null");
        }
        final List<String> ids = new ArrayList<>();
        for (final Pending upload : uploads)
        {
            if (!upload.expiresAt().isAfter(before))
            {
                ids.add(upload.id());
            }
        }
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    /**
     * @param upload an upload in progress.
     * @param offset the bytes it holds now.
     * @return its status.
     */
    public static UploadStatus status(final Pending upload, final long offset)
    {
        return new UploadStatus(upload.id(), upload.ownerId(), upload.size(), offset, upload.contentType(),
            upload.sha256(), upload.expiresAt());
    }

    /**
     * @param uploadId the id asked for.
     * @return the refusal of an upload that is not in progress.
     */
    public static MediaException notFound(final String uploadId)
    {
        return new MediaException(MediaException.Reason.NOT_FOUND, "no upload in progress " + uploadId);
    }

    /**
     * Refuses a chunk for an upload past its expiry.
     *
     * @param upload the upload.
     * @param now    the store's time.
     * @throws MediaException {@link MediaException.Reason#EXPIRED} if the upload expired.
     */
    public static void requireNotExpired(final Pending upload, final Instant now)
    {
        if (!now.isBefore(upload.expiresAt()))
        {
            throw new MediaException(MediaException.Reason.EXPIRED,
                "upload " + upload.id() + " expired at " + upload.expiresAt());
        }
    }

    /**
     * Refuses a chunk that does not start where the upload is.
     *
     * @param upload  the upload.
     * @param offset  where the chunk starts.
     * @param current the upload's offset.
     * @throws MediaException {@link MediaException.Reason#WRONG_OFFSET} if they differ.
     */
    public static void requireOffset(final Pending upload, final long offset, final long current)
    {
        if (offset != current)
        {
            throw new MediaException(MediaException.Reason.WRONG_OFFSET,
                "upload " + upload.id() + " is at offset " + current + ", not " + offset);
        }
    }

    /**
     * @param upload the upload.
     * @param end    where the chunk would take it.
     * @return the refusal of a chunk that runs past the upload's declared size.
     */
    public static MediaException tooLarge(final Pending upload, final long end)
    {
        return new MediaException(MediaException.Reason.TOO_LARGE,
            "chunk would take upload " + upload.id() + " to " + end + " bytes, past its declared size " +
                upload.size());
    }

    /**
     * @param message what is wrong.
     * @return an {@link MediaException.Reason#INVALID_ARGUMENT} refusal.
     */
    public static MediaException invalid(final String message)
    {
        return new MediaException(MediaException.Reason.INVALID_ARGUMENT, message);
    }
}
