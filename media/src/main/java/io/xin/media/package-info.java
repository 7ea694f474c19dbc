/**
 * The media store: photos, videos and voice notes, beside the long connection. {@link io.xin.media.MediaStore} is
 * the interface (resumable uploads in the tus model, content-addressed blobs with their owners, range reads);
 * {@link io.xin.media.LocalMediaStore} keeps them in files under one directory; {@link io.xin.media.MediaLimits}
 * holds the size and count limits; {@link io.xin.media.SignedUrls} signs and checks expiring HMAC-SHA256 tokens
 * for download and upload URLs; {@link io.xin.media.MediaIds} checks every id from outside before it reaches a
 * path; {@link io.xin.media.MediaCollector} removes expired uploads and blobs no live message references. The
 * package depends on the JDK only, starts no thread and logs nothing; the HTTP server is in
 * {@code io.xin.media.http}.
 */
package io.xin.media;
