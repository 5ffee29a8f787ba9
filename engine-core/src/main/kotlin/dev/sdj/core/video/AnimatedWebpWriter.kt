package dev.sdj.core.video

import java.nio.file.Path

/**
 * An animated WebP: a 'VP8X' header with the animation flag, 'ANIM' (loop forever), then one 'ANMF' per frame holding
 * a lossless 'VP8L' image from [Vp8lEncoder], each covering the whole canvas and shown for its share of the timeline
 * in whole milliseconds (frame i ends at round((i + 1) * 1000 / fps) ms, so the total stays exact however the frame
 * rate divides). The parameters go in an 'XMP ' chunk as the Dublin Core description, which exiftool and image
 * viewers show; A1111 reads no WebP video metadata. WebP has no audio: the clip's sound, if any, goes to a WAV beside
 * the file ([AudioSidecar]).
 */
object AnimatedWebpWriter : VideoWriter {
    private const val MAX_CANVAS = 1 shl 24
    private const val MAX_DURATION_MS = (1 shl 24) - 1
    private const val ANIMATION_FLAG = 0x02
    private const val XMP_FLAG = 0x04
    private const val DO_NOT_BLEND = 0x02

    override fun write(video: VideoFrames, parameters: String?, out: Path) {
        val webp = encode(video, parameters)
        writeVideoFile("WebP", out) { channel -> webp.writeTo(channel) }
        AudioSidecar.write(video, parameters, out)
    }

    internal fun encode(video: VideoFrames, parameters: String?): LittleEndianBuffer {
        require(video.width <= MAX_CANVAS && video.height <= MAX_CANVAS) { "WebP canvases are at most 2^24 wide and high" }
        val webp = LittleEndianBuffer()
        val riff = webp.beginChunk("RIFF", "WEBP")

        val vp8x = webp.beginChunk("VP8X")
        webp.u8(ANIMATION_FLAG or if (parameters.isNullOrEmpty()) 0 else XMP_FLAG)
        webp.u24(0) // reserved
        webp.u24(video.width - 1)
        webp.u24(video.height - 1)
        webp.endChunk(vp8x)

        val anim = webp.beginChunk("ANIM")
        webp.u32(0xFFFFFFFF.toInt()) // background colour (BGRA): opaque white, never seen as every frame covers all
        webp.u16(0) // loop count: forever
        webp.endChunk(anim)

        val rate = video.rate
        for ((i, frame) in video.frames.withIndex()) {
            val duration = endMillis(i + 1, rate) - endMillis(i, rate)
            require(duration <= MAX_DURATION_MS) { "a frame at $rate lasts $duration ms, more than WebP's $MAX_DURATION_MS" }
            val anmf = webp.beginChunk("ANMF")
            webp.u24(0) // x / 2
            webp.u24(0) // y / 2
            webp.u24(video.width - 1)
            webp.u24(video.height - 1)
            webp.u24(duration.toInt())
            webp.u8(DO_NOT_BLEND) // and no disposal: the next frame overwrites every pixel anyway
            val vp8l = webp.beginChunk("VP8L")
            webp.bytes(Vp8lEncoder.encode(frame))
            webp.endChunk(vp8l)
            webp.endChunk(anmf)
        }

        if (!parameters.isNullOrEmpty()) {
            val xmp = webp.beginChunk("XMP ")
            webp.bytes(xmpPacket(parameters).toByteArray(Charsets.UTF_8))
            webp.endChunk(xmp)
        }
        webp.endChunk(riff)
        return webp
    }

    /** Milliseconds from the start to the end of the first [frames] frames, rounded. */
    private fun endMillis(frames: Int, rate: FrameRate): Long = Math.round(frames * 1000.0 * rate.denominator / rate.numerator)

    internal fun xmpPacket(text: String): String {
        val escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>" +
            """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">""" +
            """<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">""" +
            """<dc:description><rdf:Alt><rdf:li xml:lang="x-default">$escaped</rdf:li></rdf:Alt></dc:description>""" +
            """</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""
    }
}
