package dev.sdj.core.video

/**
 * A file name with one printf-style frame number in it, `%d` or `%0Nd` (e.g. `frame_%03d.png` gives `frame_000.png`,
 * `frame_001.png`, …), the two forms ffmpeg's image sequences accept; `%%` stands for a literal `%`. Frames are
 * numbered from 0, the first number ffmpeg's image-sequence reader tries.
 */
class FrameFileNames private constructor(private val before: String, private val width: Int, private val after: String) {
    /** The name of frame [index]: at least the pattern's width in digits, zero-padded, more when the number needs them. */
    fun name(index: Int): String {
        require(index >= 0) { "frame index must not be negative, got $index" }
        return before + index.toString().padStart(width, '0') + after
    }

    companion object {
        private val NUMBER = Regex("%(0[1-9][0-9]?)?d")

        /**
         * True when [name] holds a `%d` or `%0Nd` frame number (not escaped as `%%`), even if [parse] would refuse it
         * for another reason: any name with one is meant as a pattern, not as a literal file name.
         */
        @JvmStatic
        fun isPattern(name: String): Boolean = findNumber(name, strict = false).isNotEmpty()

        /**
         * Parses [name]; refused unless it holds exactly one frame number and no other `%` directive.
         *
         * @throws IllegalArgumentException naming the pattern and what is wrong with it
         */
        @JvmStatic
        fun parse(name: String): FrameFileNames {
            val numbers = findNumber(name, strict = true)
            require(numbers.size == 1) {
                if (numbers.isEmpty()) "'$name' has no frame number: put %d or %03d where the number goes, e.g. frame_%03d.png"
                else "'$name' has ${numbers.size} frame numbers; give exactly one (%d or %0Nd)"
            }
            val number = numbers[0]
            val digits = number.value.removePrefix("%").removeSuffix("d").ifEmpty { "0" }.toInt()
            return FrameFileNames(unescape(name, 0, number.range.first), digits, unescape(name, number.range.last + 1, name.length))
        }

        /** The `%d`/`%0Nd` directives in [name]; when [strict], any other `%` directive is refused. */
        private fun findNumber(name: String, strict: Boolean): List<MatchResult> {
            val found = ArrayList<MatchResult>()
            var i = 0
            while (i < name.length) {
                if (name[i] != '%') {
                    i++
                    continue
                }
                if (i + 1 < name.length && name[i + 1] == '%') {
                    i += 2
                    continue
                }
                val match = NUMBER.matchAt(name, i)
                if (match == null) {
                    require(!strict) { "'$name' has a '%' at position $i that is not %d, %0Nd or %% (a literal %)" }
                    i++
                    continue
                }
                found += match
                i = match.range.last + 1
            }
            return found
        }

        private fun unescape(name: String, from: Int, to: Int): String = name.substring(from, to).replace("%%", "%")
    }
}
