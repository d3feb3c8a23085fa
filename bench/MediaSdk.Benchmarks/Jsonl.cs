using System.Text.Json;

namespace MediaSdk.Benchmarks;

/// <summary>Reads the CLI's <c>--format jsonl</c> event lines.</summary>
internal static class Jsonl
{
    public static string? Type(string line)
    {
        try
        {
            using JsonDocument d = JsonDocument.Parse(line);
            return d.RootElement.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool IsWindow(string line) => Type(line) == "window";

    public static double? LatencyMs(string line)
    {
        try
        {
            using JsonDocument d = JsonDocument.Parse(line);
            return d.RootElement.TryGetProperty("latency_ms", out JsonElement l) ? l.GetDouble() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
