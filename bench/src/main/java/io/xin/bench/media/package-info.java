/**
 * Measurements of the media server ({@code io.xin.media.http}) on loopback against plain file copies.
 */
package io.xin.bench.media;
