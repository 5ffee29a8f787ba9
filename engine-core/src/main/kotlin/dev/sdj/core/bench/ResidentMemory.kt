package dev.sdj.core.bench

import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

/**
 * The process's resident memory at one moment, split as Linux counts it: anonymous pages (what the engine allocated)
 * and file-backed pages (model files mapped for in-place weights; the kernel may drop and re-read those). Zero where
 * /proc/self/status is not there to read.
 */
data class ResidentMemory(val anonymousBytes: Long, val fileBytes: Long) {
    companion object {
        fun now(): ResidentMemory = status().let { ResidentMemory(it.bytes("RssAnon"), it.bytes("RssFile")) }

        /** The process's resident high-water mark (VmHWM) so far. */
        fun peakBytes(): Long = status().bytes("VmHWM")

        /**
         * Sets the high-water mark back to the resident memory now (Linux's clear_refs "5"), so that [peakBytes] tells
         * one run's peak in a process that runs several; false where that is not possible.
         */
        fun resetPeak(): Boolean = try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5")
            true
        } catch (e: IOException) {
            false
        } catch (e: SecurityException) {
            false
        }

        private fun status(): Map<String, String> = try {
            Files.readAllLines(Path.of("/proc/self/status")).associate { it.substringBefore(':') to it.substringAfter(':') }
        } catch (e: IOException) {
            emptyMap()
        }

        private fun Map<String, String>.bytes(name: String): Long = this[name]?.trim()?.removeSuffix("kB")?.trim()?.toLongOrNull()?.times(1024) ?: 0
    }
}
