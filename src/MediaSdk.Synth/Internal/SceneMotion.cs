namespace MediaSdk.Synth.Internal;

/// <summary>Where an object is, how big, turned and visible at a time; in pixels.</summary>
internal readonly record struct ObjectState(float X, float Y, float Radius, float Angle, float Alpha);

/// <summary>
/// The motion model shared by the sampler (which plans in-frame paths) and the renderer: an object's state at time t
/// is its t = 0 placement folded through its events in start order. Everything derives from the scene record alone,
/// so a scene re-renders identically from scenes.jsonl.
/// </summary>
internal static class SceneMotion
{
    /// <summary>Move distance as a fraction of the width (left/right) or height (up/down).</summary>
    public const double MoveDistance = 0.35;

    /// <summary>Bounce height as a fraction of the height (two hops per event, ending where it started).</summary>
    public const double BounceHeight = 0.18;

    /// <summary>Rotation per rotate event: not a multiple of any drawn shape's symmetry angle, so the turn stays visible.</summary>
    public const double RotateDegrees = 150;

    /// <summary>Scale factor at the end of a grow event.</summary>
    public const double GrowFactor = 1.6;

    /// <summary>Scale factor at the end of a shrink event.</summary>
    public const double ShrinkFactor = 0.55;

    /// <summary>Camera pan as a fraction of the width over the whole clip.</summary>
    public const double PanDistance = 0.15;

    /// <summary>Zoom factor range of zoom-in / zoom-out.</summary>
    public const double ZoomRange = 0.3;

    /// <summary>Object diameter as a fraction of the frame's shorter side.</summary>
    public static double SizeFraction(string size) => size switch
    {
        "small" => 0.17,
        "medium" => 0.25,
        "large" => 0.33,
        _ => throw new ArgumentException($"unknown size '{size}'"),
    };

    public static float BaseRadius(SynthScene s, SynthObject o) => (float)(SizeFraction(o.Size) * Math.Min(s.Width, s.Height) / 2);

    public static double Progress(SynthEvent e, double t) =>
        e.End <= e.Start ? (t >= e.Start ? 1 : 0) : Math.Clamp((t - e.Start) / (e.End - e.Start), 0, 1);

    public static ObjectState StateAt(SynthScene s, int id, double t)
    {
        SynthObject o = s.Objects[id];
        double x = o.X * s.Width, y = o.Y * s.Height, scale = 1, angle = 0, alpha = 1;
        foreach (SynthEvent e in s.Events)
        {
            if (e.Object != id && e.Other != id)
                continue;
            double p = Progress(e, t);
            switch (e.Motion)
            {
                case "move-left": x -= MoveDistance * s.Width * p; break;
                case "move-right": x += MoveDistance * s.Width * p; break;
                case "move-up": y -= MoveDistance * s.Height * p; break;
                case "move-down": y += MoveDistance * s.Height * p; break;
                case "rotate": angle += RotateDegrees * p; break;
                case "grow": scale *= 1 + ((GrowFactor - 1) * p); break;
                case "shrink": scale *= 1 - ((1 - ShrinkFactor) * p); break;
                case "bounce": y -= BounceHeight * s.Height * Math.Abs(Math.Sin(2 * Math.PI * p)); break;
                case "appear": alpha = p; break;
                case "disappear": alpha = 1 - p; break;
                case "collide" when e.Other is int other:
                    // Both start from their t = 0 places (the sampler gives colliding objects no other event) and
                    // close the gap along the line between them until their outlines touch.
                    SynthObject a = s.Objects[e.Object], b = s.Objects[other];
                    double dx = (b.X - a.X) * s.Width, dy = (b.Y - a.Y) * s.Height;
                    double d = Math.Max(1e-6, Math.Sqrt((dx * dx) + (dy * dy)));
                    double need = Math.Max(0, d - BaseRadius(s, a) - BaseRadius(s, b)) / 2 * p;
                    double sign = id == e.Object ? 1 : -1;
                    x += sign * dx / d * need;
                    y += sign * dy / d * need;
                    break;
            }
        }
        return new ObjectState((float)x, (float)y, (float)(BaseRadius(s, o) * scale), (float)angle, (float)alpha);
    }
}
