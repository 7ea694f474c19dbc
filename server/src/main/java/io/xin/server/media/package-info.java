/**
 * The daemon's media beside the switch: the media store, its keys, the media HTTP server and the collector, opened
 * from the {@code media-*} settings ({@code DaemonMedia}).
 */
package io.xin.server.media;
