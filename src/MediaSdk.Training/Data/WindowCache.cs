using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MediaSdk.Training.Data;

/// <summary>
/// Decoded windows on disk, so a second run over the same manifest does not run ffmpeg again. One file per window:
/// <c>&lt;hex&gt;.win</c> = header (magic "BTWN", format version, frames, size; int32 little-endian) + the pixels as
/// little-endian float32. Written to a temp file and renamed, so a crash never leaves a half-written window.
/// </summary>
/// <remarks>The key hashes the media's full path, length and last-write time with the span and the decode settings:
/// editing the file, or changing the frames or size, misses the cache. Thread-safe (distinct keys per file).</remarks>
internal sealed class WindowCache(string folder)
{
    /// <summary>Bump when decoding changes in a way the key does not capture (it invalidates every cached window).</summary>
    public const int FormatVersion = 1;
    private const int Magic = 0x4E575442; // "BTWN" little-endian
    private const int HeaderBytes = 16;

    public string Folder { get; } = folder;

    /// <summary>The cache file of <paramref name="key"/> decoded with these settings.</summary>
    public string PathOf(MediaKey key, int frames, int size, double defaultVideoSeconds)
    {
        var file = new FileInfo(key.Path);
        string id = string.Join('\n',
            key.Path,
            file.Length.ToString(CultureInfo.InvariantCulture),
            file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture),
            key.IsImage ? "image" : "video",
            key.Start?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
            key.End?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
            frames.ToString(CultureInfo.InvariantCulture),
            size.ToString(CultureInfo.InvariantCulture),
            // Only a whole video whose duration is unknown uses it, but it is cheap to key on.
            defaultVideoSeconds.ToString("R", CultureInfo.InvariantCulture),
            FormatVersion.ToString(CultureInfo.InvariantCulture));
        string hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
        return Path.Combine(Folder, hex + ".win");
    }

    /// <summary>The cached pixels, or null when the file is absent or not a valid window of this size (then it is rewritten).</summary>
    public static float[]? TryRead(string path, int size)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        if (bytes.Length < HeaderBytes) return null;
        ReadOnlySpan<byte> b = bytes;
        int magic = BinaryPrimitives.ReadInt32LittleEndian(b);
        int version = BinaryPrimitives.ReadInt32LittleEndian(b[4..]);
        int frames = BinaryPrimitives.ReadInt32LittleEndian(b[8..]);
        int s = BinaryPrimitives.ReadInt32LittleEndian(b[12..]);
        if (magic != Magic || version != FormatVersion || s != size || frames is < 1 or > 64) return null;
        long floats = (long)frames * 3 * size * size;
        if (bytes.Length != HeaderBytes + floats * sizeof(float)) return null;
        var pixels = new float[floats];
        ReadOnlySpan<byte> data = b[HeaderBytes..];
        if (BitConverter.IsLittleEndian) data.CopyTo(MemoryMarshal.AsBytes(pixels.AsSpan()));
        else for (int i = 0; i < pixels.Length; i++) pixels[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
        // A damaged file can hold any bits; decoded pixels are always finite values in [-1, 1].
        foreach (float v in pixels) if (!(v >= -1f && v <= 1f)) return null;
        return pixels;
    }

    /// <summary>Writes the window atomically (temp file + rename).</summary>
    public static void Write(string path, int frames, int size, float[] pixels)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[HeaderBytes + pixels.Length * sizeof(float)];
        Span<byte> b = bytes;
        BinaryPrimitives.WriteInt32LittleEndian(b, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], frames);
        BinaryPrimitives.WriteInt32LittleEndian(b[12..], size);
        Span<byte> data = b[HeaderBytes..];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(pixels.AsSpan()).CopyTo(data);
        else for (int i = 0; i < pixels.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data[(i * 4)..], pixels[i]);
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
