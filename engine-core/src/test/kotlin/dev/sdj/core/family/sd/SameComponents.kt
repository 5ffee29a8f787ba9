package dev.sdj.core.family.sd

import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.TensorRef
import org.junit.jupiter.api.Assertions.assertEquals
import java.nio.ByteBuffer
import java.nio.channels.FileChannel

/** What "the same model in another layout" means in the layout tests: the family, and every canonical tensor's name, shape, type and bytes. */
object SameComponents {
    /** The bytes [ref] points at in its file. */
    fun bytes(ref: TensorRef): ByteBuffer = FileChannel.open(ref.file.path).use { ch ->
        val b = ByteBuffer.allocate(ref.byteSize.toInt())
        ch.read(b, ref.fileOffset)
        b.flip()
    }

    fun assertSame(expected: AssembledModel, other: AssembledModel, family: ModelFamily, layout: String) {
        assertEquals(family, other.family, layout)
        assertEquals(expected.components.keys, other.components.keys, layout)
        for ((kind, component) in expected.components) {
            val theirs = other.components.getValue(kind)
            assertEquals(component.tensors.keys, theirs.tensors.keys, "$layout: ${kind.label} tensor names")
            for ((name, ref) in component.tensors) {
                val t = theirs.tensors.getValue(name)
                assertEquals(ref.shape, t.shape, "$layout: shape of $name")
                assertEquals(ref.type, t.type, "$layout: type of $name")
                assertEquals(bytes(ref), bytes(t), "$layout: bytes of $name")
            }
        }
    }
}
