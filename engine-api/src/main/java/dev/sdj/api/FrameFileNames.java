package dev.sdj.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file name with one printf-style frame number in it, {@code %d} or {@code %0Nd} (e.g. {@code frame_%03d.png} gives
 * {@code frame_000.png}, {@code frame_001.png}, …), the two forms ffmpeg's image sequences accept; {@code %%} stands for
 * a literal {@code %}. Frames are numbered from 0, the first number ffmpeg's image-sequence reader tries. Immutable.
 */
public final class FrameFileNames {
    private static final Pattern NUMBER = Pattern.compile("%(0[1-9][0-9]?)?d");

    private final String before;
    private final int width;
    private final String after;

    private FrameFileNames(String before, int width, String after) {
        this.before = before;
        this.width = width;
        this.after = after;
    }

    /**
     * True when {@code name} holds a {@code %d} or {@code %0Nd} frame number (not escaped as {@code %%}), even if
     * {@link #parse} would refuse it for another reason: any name with one is meant as a pattern, not as a literal file
     * name.
     */
    public static boolean isPattern(String name) {
        return !numbers(name, false).isEmpty();
    }

    /**
     * Parses {@code name}; refused unless it holds exactly one frame number and no other {@code %} directive.
     *
     * @throws InvalidRequestException naming the pattern and what is wrong with it
     */
    public static FrameFileNames parse(String name) {
        List<int[]> numbers = numbers(name, true);
        if (numbers.size() != 1) {
            throw new InvalidRequestException(numbers.isEmpty()
                    ? "'" + name + "' has no frame number: put %d or %03d where the number goes, e.g. frame_%03d.png"
                    : "'" + name + "' has " + numbers.size() + " frame numbers; give exactly one (%d or %0Nd)");
        }
        int start = numbers.get(0)[0];
        int end = numbers.get(0)[1];
        String digits = name.substring(start + 1, end - 1);
        return new FrameFileNames(unescape(name.substring(0, start)), digits.isEmpty() ? 0 : Integer.parseInt(digits),
                unescape(name.substring(end)));
    }

    /**
     * The name of frame {@code index}: at least the pattern's width in digits, zero-padded, more when the number needs
     * them.
     *
     * @throws IllegalArgumentException when {@code index} is negative
     */
    public String name(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("frame index must not be negative, got " + index);
        }
        String number = Integer.toString(index);
        return before + "0".repeat(Math.max(0, width - number.length())) + number + after;
    }

    /** The name with its frame number left out ({@code frame_%03d.png} gives {@code frame_.png}), e.g. to name a file that goes with the frames. */
    public String withoutNumber() {
        return before + after;
    }

    /** The start and end of each {@code %d}/{@code %0Nd} in {@code name}; when {@code strict}, any other {@code %} directive is refused. */
    private static List<int[]> numbers(String name, boolean strict) {
        List<int[]> found = new ArrayList<>();
        Matcher m = NUMBER.matcher(name);
        int i = 0;
        while (i < name.length()) {
            if (name.charAt(i) != '%') {
                i++;
            } else if (i + 1 < name.length() && name.charAt(i + 1) == '%') {
                i += 2;
            } else if (m.region(i, name.length()).lookingAt()) {
                found.add(new int[]{i, m.end()});
                i = m.end();
            } else if (strict) {
                throw new InvalidRequestException("'" + name + "' has a '%' at position " + i + " that is not %d, %0Nd or %% (a literal %)");
            } else {
                i++;
            }
        }
        return found;
    }

    private static String unescape(String part) {
        return part.replace("%%", "%");
    }
}
