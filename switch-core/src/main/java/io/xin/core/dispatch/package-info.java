/**
 * The dispatcher thread: the registry of online devices, acknowledgements and pushes.
 */
package io.xin.core.dispatch;
