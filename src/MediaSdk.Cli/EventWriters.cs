using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MediaSdk.Cli;

/// <summary>Writes session events to the console as they arrive.</summary>
internal interface IEventWriter : IDisposable
{
    void Write(MediaEvent e, ModelStamp model);
}

/// <summary>jsonl: one object per line (ARCHITECTURE.md), flushed per event so live consumers see it at once.</summary>
internal sealed class JsonlEventWriter(Stream output) : IEventWriter
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Utf8JsonWriter _json = new(output, s_options);

    public void Write(MediaEvent e, ModelStamp model)
    {
        _json.Reset();
        _json.WriteStartObject();
        switch (e)
        {
            case WindowEvent w:
                _json.WriteString("type", "window");
                _json.WriteString("stream", w.Stream.Value);
                _json.WriteNumber("start", Math.Round(w.Start, 3));
                _json.WriteNumber("end", Math.Round(w.End, 3));
                _json.WriteBoolean("partial", w.Partial);
                _json.WriteStartArray("tags");
                foreach (TagScore t in w.Tags)
                {
                    _json.WriteStartObject();
                    _json.WriteString("label", t.Label);
                    _json.WriteNumber("score", Math.Round(t.Score, 4));
                    _json.WriteEndObject();
                }
                _json.WriteEndArray();
                _json.WriteNumber("latency_ms", Math.Round(w.LatencyMs, 1));
                if (w.Explanation is not null) _json.WriteString("explain", w.Explanation);
                model = w.Model;
                break;
            case StateEvent s:
                _json.WriteString("type", "state");
                _json.WriteString("stream", s.Stream.Value);
                _json.WriteString("state", s.State.ToString().ToLowerInvariant());
                if (s.Detail is not null) _json.WriteString("detail", s.Detail);
                break;
            case WarningEvent wa:
                _json.WriteString("type", "warning");
                _json.WriteString("stream", wa.Stream.Value);
                _json.WriteString("message", wa.Message);
                break;
            case ErrorEvent er:
                _json.WriteString("type", "error");
                _json.WriteString("stream", er.Stream.Value);
                _json.WriteString("message", er.Message);
                _json.WriteString("error", er.Error.GetType().Name);
                break;
            default:
                _json.WriteString("type", e.GetType().Name);
                _json.WriteString("stream", e.Stream.Value);
                break;
        }
        _json.WriteString("model", model.ToString());
        _json.WriteEndObject();
        _json.Flush();
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    public void Dispose() => _json.Dispose();
}

/// <summary>
/// A human-readable table, one row per window (and an indented "explain:" line under it when read-back is on); states
/// and warnings as annotated lines.
/// </summary>
internal sealed class TableEventWriter(TextWriter output) : IEventWriter
{
    private bool _header;

    public void Write(MediaEvent e, ModelStamp model)
    {
        switch (e)
        {
            case WindowEvent w:
                if (!_header)
                {
                    output.WriteLine($"model {w.Model}");
                    output.WriteLine($"{"stream",-16} {"window",-17} {"latency",8}  tags");
                    _header = true;
                }
                var tags = new StringBuilder();
                foreach (TagScore t in w.Tags)
                {
                    if (tags.Length > 0) tags.Append(", ");
                    tags.Append(CultureInfo.InvariantCulture, $"{t.Label} {t.Score:0.000}");
                }
                string span = string.Create(CultureInfo.InvariantCulture, $"{w.Start,7:0.00}-{w.End,7:0.00}{(w.Partial ? "*" : " ")}");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Trim(w.Stream.Value),-16} {span,-17} {w.LatencyMs,6:0}ms  {(tags.Length > 0 ? tags : "(no labels given)")}"));
                // Its own line: decoded text has no fixed width; line breaks are flattened so each window stays two lines.
                if (w.Explanation is not null) output.WriteLine($"{"",16}   explain: {OneLine(w.Explanation)}");
                break;
            case StateEvent s:
                output.WriteLine($"# {s.Stream}: {s.State.ToString().ToLowerInvariant()}{(s.Detail is null ? "" : " (" + s.Detail + ")")}");
                break;
            case WarningEvent wa:
                output.WriteLine($"# {wa.Stream}: warning: {wa.Message}");
                break;
            case ErrorEvent:
                break; // reported on stderr by the command
        }
        output.Flush();
    }

    public void Dispose() => output.Flush();

    private static string Trim(string s) => s.Length <= 16 ? s : s[..15] + "…";

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
