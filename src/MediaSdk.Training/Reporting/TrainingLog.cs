using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaSdk.Training;

/// <summary>
/// The training log: one <see cref="TrainingStepRecord"/> as a JSON object per line (JSON Lines). Opened in append
/// mode so a resumed run continues the same file; each line is flushed so a crash loses at most the line being
/// written, which <see cref="Read"/> then skips.
/// </summary>
internal sealed class TrainingLog : IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Opens (or creates) the log at <paramref name="path"/> for appending.</summary>
    public TrainingLog(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        // A crash mid-line leaves a partial last line; start on a fresh line so the next record is not glued to it.
        bool endsMidLine = EndsMidLine(Path);
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (endsMidLine)
            stream.WriteByte((byte)'\n');
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
    }

    /// <summary>Full path of the log file.</summary>
    public string Path { get; }

    /// <summary>Appends one record as a line and flushes it.</summary>
    public void Write(TrainingStepRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _writer.WriteLine(JsonSerializer.Serialize(record, TrainingLogJsonContext.Default.TrainingStepRecord));
        _writer.Flush();
    }

    /// <summary>
    /// Reads every record of a log. A malformed last line (a crash while writing it) is skipped; a malformed line
    /// anywhere else is an error naming path:line. Blank lines are ignored.
    /// </summary>
    public static IReadOnlyList<TrainingStepRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Training log {path} does not exist. Pass the train.jsonl of a run.", path);
        string[] lines = File.ReadAllLines(path);
        int last = lines.Length - 1;
        while (last >= 0 && string.IsNullOrWhiteSpace(lines[last]))
            last--;
        var records = new List<TrainingStepRecord>(last + 1);
        for (int i = 0; i <= last; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            try
            {
                records.Add(JsonSerializer.Deserialize(lines[i], TrainingLogJsonContext.Default.TrainingStepRecord)
                    ?? throw new JsonException("the line is JSON null"));
            }
            catch (JsonException) when (i == last)
            {
                // The writer crashed mid-line; the records before it are intact.
            }
            catch (JsonException e)
            {
                throw new MediaSdkException(
                    $"{path}:{i + 1}: not a training log record ({e.Message}). Remove or fix the line; the log is one JSON object per line.", e);
            }
        }
        return records;
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private static bool EndsMidLine(string path)
    {
        if (!File.Exists(path))
            return false;
        using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (read.Length == 0)
            return false;
        read.Seek(-1, SeekOrigin.End);
        return read.ReadByte() != '\n';
    }
}

/// <summary>Source-generated JSON for the training log (camelCase, nulls omitted, one line per record).</summary>
/// <remarks>Named float literals are allowed so a diverged run (NaN/Infinity loss) is logged, not crashed.</remarks>
[JsonSourceGenerationOptions(
    WriteIndented = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(TrainingStepRecord))]
internal sealed partial class TrainingLogJsonContext : JsonSerializerContext;
