/**
 * The media HTTP server: {@link io.xin.media.http.MediaHttpServer} serves uploads (the tus 1.0.0 core protocol,
 * with its expiration and termination extensions) into a {@link io.xin.media.MediaStore} and signed, ranged
 * downloads of its blobs, over HTTP/1.1 on Netty, with or without TLS; {@link io.xin.media.http.MediaHttpConfig}
 * holds its settings. Event loops parse and check requests and move bytes; every store call runs on the server's
 * own file threads.
 */
package io.xin.media.http;
