using System.Globalization;
using SkiaSharp;

namespace MediaSdk.Training;

/// <summary>
/// Renders a training log as a PNG: top panel total loss, InfoNCE and NTP against step (raw values faint, an EMA
/// drawn over them); bottom panel in-batch accuracy and evaluation Hit@1 on 0..1.
/// </summary>
internal static class TrainingCurves
{
    /// <summary>Image width in pixels.</summary>
    public const int Width = 1200;

    /// <summary>Image height in pixels.</summary>
    public const int Height = 800;

    // Linux SkiaSharp without fontconfig (NativeAssets.Linux.NoDependencies) has no default font, so text needs a
    // TTF file; these are the usual places (Debian/Ubuntu fonts-dejavu-core first).
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<SKTypeface?> Font = new(LoadTypeface);

    private static readonly SKColor LossColor = new(0x1f, 0x77, 0xb4);
    private static readonly SKColor NceColor = new(0xff, 0x7f, 0x0e);
    private static readonly SKColor NtpColor = new(0x2c, 0xa0, 0x2c);
    private static readonly SKColor AccColor = new(0x94, 0x67, 0xbd);
    private static readonly SKColor EvalColor = new(0xd6, 0x27, 0x28);

    /// <summary>True when labels are drawn (a usable font was found); without one the curves are drawn unlabelled.</summary>
    public static bool HasText => Font.Value is not null;

    /// <summary>
    /// Writes the curves of <paramref name="records"/> to <paramref name="path"/> (a temporary file renamed into
    /// place, so a reader never sees half a PNG). When a step occurs more than once (a resumed run appends to the
    /// same log), its last record is plotted.
    /// </summary>
    public static void WritePng(IReadOnlyList<TrainingStepRecord> records, string path)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (records.Count == 0)
            throw new ArgumentException("No training records to plot: the log is empty. Plot after at least one step.", nameof(records));

        var byStep = new SortedDictionary<int, TrainingStepRecord>();
        foreach (TrainingStepRecord r in records)
            byStep[r.Step] = r;
        TrainingStepRecord[] rs = [.. byStep.Values];

        using var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
            Draw(canvas, rs);

        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        string tmp = full + ".tmp";
        using (SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the training curves as PNG."))
        using (var file = File.Create(tmp))
            png.SaveTo(file);
        File.Move(tmp, full, overwrite: true);
    }

    private static void Draw(SKCanvas canvas, TrainingStepRecord[] rs)
    {
        canvas.Clear(SKColors.White);
        TrainingStepRecord lastRec = rs[^1];
        DrawText(canvas, string.Create(CultureInfo.InvariantCulture,
                $"BTok training: step {lastRec.Step}/{lastRec.TotalSteps}, loss {lastRec.Loss:0.####}, acc {lastRec.Accuracy:0.000}"),
            Width / 2f, 30, 20, SKColors.Black, SKTextAlign.Center);

        double xMin = rs[0].Step, xMax = rs[^1].Step;
        if (xMax <= xMin)
        {
            xMin -= 1;
            xMax += 1;
        }

        // Top panel: losses on one axis.
        var top = new SKRect(90, 55, Width - 30, 455);
        var loss = Series(rs, r => r.Loss);
        var nce = Series(rs, r => r.InfoNce);
        var ntp = Series(rs, r => r.Ntp);
        (double yMin, double yMax) = Range([loss, nce, ntp]);
        var topAxes = new Axes(top, xMin, xMax, yMin, yMax);
        topAxes.DrawFrame(canvas, "loss", xLabel: null);
        // Total last, on top: with the generative loss off it equals InfoNCE and would otherwise be hidden.
        DrawSmoothed(canvas, topAxes, ntp, NtpColor);
        DrawSmoothed(canvas, topAxes, nce, NceColor);
        DrawSmoothed(canvas, topAxes, loss, LossColor);
        DrawLegend(canvas, top, [("total loss", LossColor), ("InfoNCE", NceColor), (ntp.Count > 0 ? "NTP" : "NTP (off)", NtpColor)]);

        // Bottom panel: accuracy and evaluation Hit@1 on a fixed 0..1 axis.
        var bottom = new SKRect(90, 505, Width - 30, Height - 55);
        var acc = Series(rs, r => r.Accuracy);
        var hit = Series(rs, r => r.EvalHit1);
        var bottomAxes = new Axes(bottom, xMin, xMax, 0, 1);
        bottomAxes.DrawFrame(canvas, "accuracy", xLabel: "step");
        DrawPoints(canvas, bottomAxes, acc, AccColor.WithAlpha(110), 2f);
        DrawLine(canvas, bottomAxes, Ema(acc), AccColor, 2f);
        DrawLine(canvas, bottomAxes, hit, EvalColor.WithAlpha(160), 1.5f);
        DrawPoints(canvas, bottomAxes, hit, EvalColor, 4.5f);
        DrawLegend(canvas, bottom, [("in-batch top-1", AccColor), ("eval Hit@1", EvalColor)], bottom: true);
    }

    private static List<(double X, double Y)> Series(TrainingStepRecord[] rs, Func<TrainingStepRecord, double?> y)
    {
        var points = new List<(double, double)>(rs.Length);
        foreach (TrainingStepRecord r in rs)
            if (y(r) is double v && double.IsFinite(v))
                points.Add((r.Step, v));
        return points;
    }

    /// <summary>Exponential moving average with a span of about 1/30 of the run (light smoothing), 1..50 points.</summary>
    private static List<(double X, double Y)> Ema(List<(double X, double Y)> points)
    {
        int span = Math.Clamp(points.Count / 30, 1, 50);
        double alpha = 2.0 / (span + 1);
        var smoothed = new List<(double, double)>(points.Count);
        double ema = 0;
        for (int i = 0; i < points.Count; i++)
        {
            ema = i == 0 ? points[i].Y : ema + (alpha * (points[i].Y - ema));
            smoothed.Add((points[i].X, ema));
        }
        return smoothed;
    }

    private static (double Min, double Max) Range(List<(double X, double Y)>[] series)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in series)
            foreach ((_, double y) in s)
            {
                min = Math.Min(min, y);
                max = Math.Max(max, y);
            }
        if (!double.IsFinite(min))
            return (0, 1);
        if (min >= 0 && min < 0.25 * max)
            min = 0; // Losses are non-negative: anchor at 0 unless that flattens the curves.
        double pad = max > min ? 0.05 * (max - min) : Math.Max(0.5, Math.Abs(max) * 0.1);
        return (min == 0 ? 0 : min - pad, max + pad);
    }

    private static void DrawSmoothed(SKCanvas canvas, Axes axes, List<(double X, double Y)> raw, SKColor color)
    {
        DrawLine(canvas, axes, raw, color.WithAlpha(70), 1f);
        DrawLine(canvas, axes, Ema(raw), color, 2.2f);
    }

    private static void DrawLine(SKCanvas canvas, Axes axes, List<(double X, double Y)> points, SKColor color, float width)
    {
        if (points.Count == 0)
            return;
        if (points.Count == 1)
        {
            DrawPoints(canvas, axes, points, color, width + 2);
            return;
        }
        using var path = new SKPath();
        path.MoveTo(axes.Map(points[0].X, points[0].Y));
        for (int i = 1; i < points.Count; i++)
            path.LineTo(axes.Map(points[i].X, points[i].Y));
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsStroke = true, IsAntialias = true, StrokeJoin = SKStrokeJoin.Round };
        canvas.Save();
        canvas.ClipRect(axes.Plot);
        canvas.DrawPath(path, paint);
        canvas.Restore();
    }

    private static void DrawPoints(SKCanvas canvas, Axes axes, List<(double X, double Y)> points, SKColor color, float radius)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
        foreach ((double x, double y) in points)
            canvas.DrawCircle(axes.Map(x, y), radius, paint);
    }

    private static void DrawLegend(SKCanvas canvas, SKRect plot, (string Label, SKColor Color)[] entries, bool bottom = false)
    {
        const float row = 20, swatch = 22;
        float width = 160, x = plot.Right - width - 10;
        float y = bottom ? plot.Bottom - 18 - (row * entries.Length) : plot.Top + 10;
        using var box = new SKPaint { Color = SKColors.White.WithAlpha(220), Style = SKPaintStyle.Fill };
        using var border = new SKPaint { Color = SKColors.Gray, IsStroke = true, StrokeWidth = 1 };
        var rect = new SKRect(x, y, x + width, y + 8 + (row * entries.Length));
        canvas.DrawRect(rect, box);
        canvas.DrawRect(rect, border);
        for (int i = 0; i < entries.Length; i++)
        {
            float cy = y + 4 + (row * i) + (row / 2);
            using var line = new SKPaint { Color = entries[i].Color, StrokeWidth = 3, IsStroke = true, IsAntialias = true };
            canvas.DrawLine(x + 8, cy, x + 8 + swatch, cy, line);
            DrawText(canvas, entries[i].Label, x + 8 + swatch + 8, cy + 5, 14, SKColors.Black, SKTextAlign.Left);
        }
    }

    private static void DrawText(SKCanvas canvas, string text, float x, float y, float size, SKColor color, SKTextAlign align)
    {
        if (Font.Value is not SKTypeface typeface)
            return;
        using var paint = new SKPaint { Typeface = typeface, TextSize = size, Color = color, IsAntialias = true, TextAlign = align };
        canvas.DrawText(text, x, y, paint);
    }

    private static SKTypeface? LoadTypeface()
    {
        // A known sans file first for the same look everywhere; else the platform default (Windows, macOS, and here
        // the NoDependencies natives scan /usr/share/fonts), which has no glyphs when the machine has no fonts.
        foreach (string file in FontFiles)
            if (File.Exists(file) && SKTypeface.FromFile(file) is SKTypeface t && t.GlyphCount > 0)
                return t;
        SKTypeface? fallback = SKTypeface.Default;
        return fallback is not null && fallback.GlyphCount > 0 ? fallback : null;
    }

    /// <summary>Maps data coordinates to a plot rectangle and draws its frame, grid and tick labels.</summary>
    private sealed class Axes(SKRect plot, double xMin, double xMax, double yMin, double yMax)
    {
        public SKRect Plot { get; } = plot;

        public SKPoint Map(double x, double y) => new(
            Plot.Left + (float)((x - xMin) / (xMax - xMin) * Plot.Width),
            Plot.Bottom - (float)((y - yMin) / (yMax - yMin) * Plot.Height));

        public void DrawFrame(SKCanvas canvas, string yLabel, string? xLabel)
        {
            using var grid = new SKPaint { Color = new SKColor(0xe4, 0xe4, 0xe4), StrokeWidth = 1, IsStroke = true };
            using var frame = new SKPaint { Color = SKColors.DimGray, StrokeWidth = 1.2f, IsStroke = true };
            foreach (double t in Ticks(xMin, xMax, minStep: 1))
            {
                float px = Map(t, yMin).X;
                canvas.DrawLine(px, Plot.Top, px, Plot.Bottom, grid);
                canvas.DrawLine(px, Plot.Bottom, px, Plot.Bottom + 5, frame);
                DrawText(canvas, Format(t), px, Plot.Bottom + 20, 13, SKColors.DimGray, SKTextAlign.Center);
            }
            foreach (double t in Ticks(yMin, yMax, minStep: 0))
            {
                float py = Map(xMin, t).Y;
                canvas.DrawLine(Plot.Left, py, Plot.Right, py, grid);
                canvas.DrawLine(Plot.Left - 5, py, Plot.Left, py, frame);
                DrawText(canvas, Format(t), Plot.Left - 8, py + 4, 13, SKColors.DimGray, SKTextAlign.Right);
            }
            canvas.DrawRect(Plot, frame);
            canvas.Save();
            canvas.RotateDegrees(-90, 22, Plot.MidY);
            DrawText(canvas, yLabel, 22, Plot.MidY, 15, SKColors.Black, SKTextAlign.Center);
            canvas.Restore();
            if (xLabel is not null)
                DrawText(canvas, xLabel, Plot.MidX, Plot.Bottom + 40, 15, SKColors.Black, SKTextAlign.Center);
        }

        /// <summary>About six "nice" ticks (1, 2 or 5 times a power of ten, at least <paramref name="minStep"/> apart) inside [min, max].</summary>
        private static List<double> Ticks(double min, double max, double minStep)
        {
            double raw = (max - min) / 6;
            double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double norm = raw / mag;
            double step = Math.Max(minStep, mag * (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10)); // steps are integers
            var ticks = new List<double>();
            for (double t = Math.Ceiling(min / step) * step; t <= max + (step * 1e-9); t += step)
                ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
            return ticks;
        }

        private static string Format(double v) => v.ToString(Math.Abs(v) >= 10000 ? "0.#e0" : "0.###", CultureInfo.InvariantCulture);
    }
}
