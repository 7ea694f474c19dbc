/**
 * The network edge: transport choice (io_uring, epoll, NIO), the channel pipeline and parked sockets. Below the
 * session layer, which makes each pipeline's last handler
 * ({@link io.xin.core.net.XinChannelInitializer.SessionHandlers}).
 */
package io.xin.core.net;
