/**
 * The media store on S3 or an S3-compatible object store: {@link io.xin.media.s3.S3MediaStore} implements
 * {@link io.xin.media.MediaStore} with resumable uploads spooled locally and sent as multipart parts,
 * content-addressed blobs and their records in one bucket, and presigned GET URLs so clients read blobs from the
 * store directly; {@link io.xin.media.s3.S3StoreConfig} says where the bucket is and how to reach it. It uses the
 * AWS SDK for Java 2 with its Apache HTTP client, whose connection pool runs one daemon thread that closes idle
 * connections; the package itself starts no thread and logs nothing.
 */
package io.xin.media.s3;
