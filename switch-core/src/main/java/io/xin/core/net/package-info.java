/**
 * The network edge: transport choice (io_uring, epoll, NIO) and the channel pipeline.
 */
package io.xin.core.net;
