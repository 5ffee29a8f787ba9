package dev.sdj.core.model

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.assertTimeoutPreemptively
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/** What the user points at is checked before it is opened: special files, links, and files that are no model. */
class ModelPathErrorsTest {
    @TempDir
    lateinit var dir: Path

    private fun safetensors(path: Path): Path {
        Files.createDirectories(path.parent)
        SafetensorsWriter().addTensor("w", DType.F16, listOf(4L), TensorData.of(ByteBuffer.allocate(8))).write(path)
        return path
    }

    private fun refused(path: Path, vararg paths: Path = arrayOf(path)): ModelFileException =
        assertTimeoutPreemptively(Duration.ofSeconds(10)) { assertThrows<ModelFileException> { ModelOpener.open(paths.toList()) } }

    private fun mkfifo(path: Path): Path {
        assertEquals(0, ProcessBuilder("mkfifo", path.toString()).inheritIO().start().waitFor())
        return path
    }

    @Test
    fun `a FIFO given as a model is refused instead of blocking forever`() {
        val fifo = mkfifo(dir.resolve("model.safetensors"))
        val e = refused(fifo)
        assertEquals(fifo, e.file())
        assertTrue(e.reason().startsWith("is a FIFO (named pipe), not a model file"), e.reason())
    }

    @Test
    fun `a symlink loop is reported as a loop, not as a missing file`() {
        val a = dir.resolve("a.safetensors")
        val b = dir.resolve("b.safetensors")
        Files.createSymbolicLink(a, b)
        Files.createSymbolicLink(b, a)
        assertEquals("is a symbolic link loop (or a chain of links too long to follow)", refused(a).reason())
    }

    @Test
    fun `a dangling symlink names its target`() {
        val link = Files.createSymbolicLink(dir.resolve("gone.safetensors"), dir.resolve("deleted.safetensors"))
        assertEquals("is a symbolic link to ${dir.resolve("deleted.safetensors")}, which does not exist", refused(link).reason())
        assertEquals("no such file", refused(dir.resolve("never.safetensors")).reason())
    }

    @Test
    fun `a symlinked model file given directly is opened`() {
        val real = safetensors(dir.resolve("elsewhere/model.safetensors"))
        val link = Files.createSymbolicLink(dir.resolve("model.safetensors"), real)
        assertEquals(listOf("w"), ModelOpener.open(listOf(link)).inputs.single().names)
    }

    @Test
    fun `a symlink inside a model folder that leads out of it is refused`() {
        val outside = safetensors(dir.resolve("outside/unet.safetensors"))
        val model = Files.createDirectories(dir.resolve("model/unet"))
        Files.createSymbolicLink(model.resolve("diffusion_pytorch_model.safetensors"), outside)
        val e = refused(dir.resolve("model"))
        assertEquals(model.resolve("diffusion_pytorch_model.safetensors"), e.file())
        assertTrue(e.reason().startsWith("leads out of the model folder ${dir.resolve("model")}"), e.reason())

        val linkedFolder = dir.resolve("model2")
        Files.createDirectories(linkedFolder)
        Files.createSymbolicLink(linkedFolder.resolve("unet"), outside.parent)
        assertTrue(refused(linkedFolder).reason().startsWith("leads out of the model folder"))
    }

    @Test
    fun `a special file inside a model folder is refused`() {
        val model = Files.createDirectories(dir.resolve("model/unet"))
        val shard = mkfifo(model.resolve("diffusion_pytorch_model-00001-of-00001.safetensors"))
        Files.writeString(model.resolve("diffusion_pytorch_model.safetensors.index.json"),
            """{"weight_map": {"w": "diffusion_pytorch_model-00001-of-00001.safetensors"}}""")
        val e = refused(dir.resolve("model"))
        assertEquals(shard, e.file())
        assertTrue(e.reason().startsWith("is a FIFO"), e.reason())
    }

    @Test
    fun `links within a model folder and into the Hugging Face blob cache are followed`() {
        val repo = dir.resolve("models--org--model")
        val blob = safetensors(repo.resolve("blobs/0123abcd"))
        val snapshot = Files.createDirectories(repo.resolve("snapshots/rev1/unet"))
        Files.createSymbolicLink(snapshot.resolve("diffusion_pytorch_model.safetensors"), snapshot.relativize(blob))
        assertEquals(listOf("w"), ModelOpener.open(listOf(snapshot.parent)).inputs.single().names)

        val model = Files.createDirectories(dir.resolve("model/vae"))
        val weights = safetensors(dir.resolve("model/weights/vae.safetensors"))
        Files.createSymbolicLink(model.resolve("diffusion_pytorch_model.safetensors"), weights)
        assertEquals(ComponentKind.VAE, ModelOpener.open(listOf(dir.resolve("model"))).inputs.single().hint)
    }

    @Test
    fun `a file that is no model is named by its first bytes`() {
        val passwd = dir.resolve("passwd.safetensors").also { Files.writeString(it, "root:x:0:0:root:/root:/bin/bash\n") }
        assertEquals("is not a GGUF or safetensors file (starts with \"root:x:0:0:root:\"…)", refused(passwd).reason())

        val badMagic = dir.resolve("model.gguf").also { Files.write(it, byteArrayOf(0x47, 0x47, 0x55, 0x58, 3, 0, 0, 0, 0, 0, 0, 0, 0x0A)) }
        assertEquals("is not a GGUF or safetensors file (starts with \"GGUX\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\n\")", refused(badMagic).reason())

        val ckpt = dir.resolve("renamed.safetensors").also { Files.write(it, byteArrayOf(0x50, 0x4B, 3, 4) + ByteArray(60)) }
        val e = refused(ckpt)
        assertTrue(e.reason().startsWith("is not a GGUF or safetensors file (starts with \"PK\\x03\\x04"), e.reason())
        assertTrue(e.reason().endsWith("it looks like a zip archive, as PyTorch .ckpt/.pt checkpoints are: pickle checkpoints " +
            "are not supported (they can run code when loaded)"), e.reason())
    }
}
