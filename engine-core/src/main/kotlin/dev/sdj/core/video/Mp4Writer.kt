package dev.sdj.core.video

import org.jcodec.codecs.h264.H264Encoder
import org.jcodec.codecs.h264.encode.RateControl
import org.jcodec.codecs.h264.io.model.SeqParameterSet
import org.jcodec.codecs.h264.io.model.SliceType
import org.jcodec.codecs.h264.io.model.VUIParameters
import org.jcodec.common.AudioFormat
import org.jcodec.common.Codec
import org.jcodec.common.VideoCodecMeta
import org.jcodec.common.io.FileChannelWrapper
import org.jcodec.common.model.ColorSpace
import org.jcodec.common.model.Packet
import org.jcodec.common.model.Size
import org.jcodec.containers.mp4.boxes.HandlerBox
import org.jcodec.containers.mp4.boxes.MetaValue
import org.jcodec.containers.mp4.boxes.UdtaBox
import org.jcodec.containers.mp4.boxes.UdtaMetaBox
import org.jcodec.containers.mp4.muxer.MP4Muxer
import java.io.IOException
import java.nio.BufferOverflowException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Path

/**
 * H.264 (Constrained Baseline: I and P frames, CAVLC) in an MP4 file, encoded in pure Java by jcodec at a constant
 * quantizer. The parameters go in the movie's iTunes-style metadata as the comment (`moov/udta/meta/ilst/©cmt`), which
 * ffprobe shows as `comment`.
 *
 * jcodec's own rate control (`DumbRateControl`) gave 30 dB PSNR on a smooth synthetic 256x256 clip, and its quality
 * does not fall steadily with the quantizer (QP 20 came out 1.3 dB worse than QP 22). At QP [QP] every frame came
 * within 0.7 dB of what converting to 4:2:0 Y'CbCr and back allows (36 dB on that clip's sharp coloured edges), in
 * 40% of the bytes of JPEG at quality 0.95; on grainy frames it is larger than MJPEG at 0.9, since jcodec has only
 * 16x16 intra and inter partitions and CAVLC. Encoding is pure Java and single-threaded.
 *
 * A clip with sound gets a second track of 16-bit little-endian PCM (QuickTime's 'sowt', which jcodec writes and
 * ffmpeg reads), each frame's samples written after it so the file interleaves the two; jcodec has no AAC encoder.
 */
class Mp4Writer @JvmOverloads constructor(private val qp: Int = QP) : VideoWriter {
    init {
        require(qp in 0..51) { "H.264 quantizer must be in 0..51, got $qp" }
    }

    override fun write(video: VideoFrames, parameters: String?, out: Path) {
        require(video.width % 2 == 0 && video.height % 2 == 0) {
            "H.264 with 4:2:0 chroma needs an even width and height, got ${video.width}x${video.height}"
        }
        writeVideoFile("MP4", out) { channel -> encodeFitting(video, parameters, channel) }
    }

    /**
     * jcodec sizes its slice buffers from an estimate that noisy pictures at a fine quantizer overflow (a random
     * model's frames do): such a clip is encoded again from the start at coarser quantizers until it fits.
     */
    private fun encodeFitting(video: VideoFrames, parameters: String?, channel: FileChannel) {
        for (q in (qp..MAX_QP step COARSER).toList() + MAX_QP) {
            try {
                encode(video, parameters, channel, q)
                return
            } catch (e: BufferOverflowException) {
                channel.truncate(0).position(0)
            }
        }
        throw IOException("jcodec cannot encode these frames as H.264 even at its coarsest quantizer; write .avi or .webp instead")
    }

    private fun encode(video: VideoFrames, parameters: String?, channel: FileChannel, qp: Int) {
        val paddedWidth = roundUp16(video.width)
        val paddedHeight = roundUp16(video.height)
        val encoder = CroppedH264Encoder(ConstantQp(qp), video.width, video.height)
        // Not closed: writeAtomically forces and closes the file channel itself.
        val muxer = MP4Muxer.createMP4MuxerToChannel(FileChannelWrapper(channel))
        val track = muxer.addVideoTrack(Codec.H264, VideoCodecMeta.createSimpleVideoCodecMeta(Size(video.width, video.height), ColorSpace.YUV420J))
        val rate = video.rate
        val audio = video.audio
        val sound = audio?.let { muxer.addPCMAudioTrack(AudioFormat(it.sampleRate, 16, it.channels, true, false)) }
        var buffer: ByteBuffer? = null
        for ((i, frame) in video.frames.withIndex()) {
            val picture = Bt709Yuv420.toPicture(frame, paddedWidth, paddedHeight)
            val needed = encoder.estimateBufferSize(picture)
            if (buffer == null || buffer.capacity() < needed) buffer = ByteBuffer.allocate(needed)
            buffer!!.clear()
            val encoded = encoder.encodeFrame(picture, buffer)
            val data = encoded.data
            val copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip() as ByteBuffer
            val type = if (encoded.isKeyFrame) Packet.FrameType.KEY else Packet.FrameType.INTER
            // Time in units of 1/numerator s, each frame lasting denominator units: exact for 24000/1001.
            track.addFrame(Packet.createPacket(copy, i.toLong() * rate.denominator, rate.numerator, rate.denominator.toLong(), i.toLong(), type, null))
            if (audio != null) {
                val from = AudioTrack.framesFor(i, rate, audio.sampleRate)
                val to = AudioTrack.framesFor(i + 1, rate, audio.sampleRate)
                if (to > from) sound!!.addSamples(ByteBuffer.wrap(audio.pcm16(from, to)))
            }
        }
        val movie = muxer.finalizeHeader()
        if (!parameters.isNullOrEmpty()) {
            val meta = UdtaMetaBox.createUdtaMetaBox()
            // Readers (ffmpeg among them) skip a meta box whose first child is not the 'mdir' handler.
            meta.add(HandlerBox.createHandlerBox("mhlr", "mdir", "appl", 0, 0))
            meta.itunesMeta = mapOf(COMMENT to MetaValue.createString(parameters))
            val udta = UdtaBox.createUdtaBox()
            udta.add(meta)
            movie.add(udta)
        }
        muxer.storeHeader(movie)
    }

    /** Every macroblock at one quantizer: jcodec asks per picture and per macroblock, and gets no change. */
    private class ConstantQp(private val qp: Int) : RateControl {
        override fun startPicture(size: Size, maxSize: Int, sliceType: SliceType): Int = qp
        override fun initialQpDelta(): Int = 0
        override fun accept(bits: Int): Int = 0
    }

    /**
     * jcodec's encoder, with a sequence header that crops the macroblock padding away and declares the colour
     * [Bt709Yuv420] produced, so that players neither show the padding nor guess the matrix or range.
     */
    private class CroppedH264Encoder(rc: RateControl, private val width: Int, private val height: Int) : H264Encoder(rc) {
        override fun initSPS(size: Size): SeqParameterSet {
            val sps = super.initSPS(size)
            // 4:2:0 crops in units of two samples in each direction.
            val cropRight = (size.width - width) / 2
            val cropBottom = (size.height - height) / 2
            if (cropRight > 0 || cropBottom > 0) {
                sps.frameCroppingFlag = true
                sps.frameCropRightOffset = cropRight
                sps.frameCropBottomOffset = cropBottom
            }
            sps.vuiParams = VUIParameters().apply {
                videoSignalTypePresentFlag = true
                videoFormat = UNSPECIFIED_VIDEO_FORMAT
                videoFullRangeFlag = false
                colourDescriptionPresentFlag = true
                colourPrimaries = BT709
                transferCharacteristics = BT709
                matrixCoefficients = BT709
            }
            return sps
        }
    }

    companion object {
        const val QP = 14
        private const val MAX_QP = 51
        /** Six quantizer steps halve H.264's step size: each retry roughly halves the bits. */
        private const val COARSER = 6
        private const val BT709 = 1
        private const val UNSPECIFIED_VIDEO_FORMAT = 5

        /** '©cmt' as jcodec keys iTunes metadata: the four bytes A9 63 6D 74 as a big-endian int. */
        private val COMMENT = (0xA9 shl 24) or ('c'.code shl 16) or ('m'.code shl 8) or 't'.code

        private fun roundUp16(v: Int): Int = (v + 15) and 15.inv()
    }
}
