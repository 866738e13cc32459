using System.Globalization;
using System.Net;
using System.Text;
using Geo.ChangeDetect.Findings;

namespace Geo.GridService.Host.Findings;

/// <summary>
/// The printable review report of a run (Chinese first, English beside): the run's inputs and parameters, a summary by
/// review state, then one block per finding with its facts and the before/after image chips cut from the two survey
/// COGs (PNG, embedded as data: URIs so the file stands alone and prints). Every value is HTML-escaped. The markup is
/// well-formed XML (polyglot HTML5) so tools can parse it. At most <see cref="MaxFindings"/> findings get chips.
/// </summary>
public static class FindingReport
{
    public const int MaxFindings = 500;

    public static async Task<string> BuildAsync(FindingsApp app, ChangeRun run, IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        static string E(object? v) => WebUtility.HtmlEncode(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
        static string N(double? v, string format = "0.0") => v is { } d ? d.ToString(format, CultureInfo.InvariantCulture) : "—";
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"zh-CN\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta charset=\"utf-8\" />\n")
          .Append("<title>变化发现核查报告 Change review report · ").Append(E(run.Id)).Append("</title>\n")
          .Append("<style>")
          .Append("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:24px;color:#1f2933}")
          .Append("h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}small{color:#52606d}")
          .Append("table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #cbd2d9;padding:3px 6px;text-align:left;vertical-align:top}")
          .Append(".finding{page-break-inside:avoid;break-inside:avoid;border-top:2px solid #e8590c;margin-top:14px;padding-top:8px}")
          .Append(".chips{display:flex;gap:12px}.chips figure{margin:0}.chips img{width:256px;height:256px;border:1px solid #9aa5b1}")
          .Append("figcaption{font-size:11px;color:#52606d}.confirmed{color:#b42318}.dismissed{color:#52606d}.pending{color:#b54708}")
          .Append("@media print{body{margin:10mm}}</style>\n</head>\n<body>\n");
        sb.Append("<h1>无人机影像变化发现核查报告 <small>Change-detection review report</small></h1>\n");
        sb.Append("<table>\n");
        Row(sb, "任务 Run", E(run.Id));
        Row(sb, "状态 State", E(FindingViews.StateText(run.State)));
        Row(sb, "前期影像 Before survey", E(run.BeforeSurveyId));
        Row(sb, "后期影像 After survey", E(run.AfterSurveyId) + " (" + E(run.AfterSurveyDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) + ")");
        Row(sb, "范围 Area", run.Area?.GridCodes is { Count: > 0 } g ? "网格 grids " + E(string.Join(", ", g)) : run.Area?.Polygon is not null ? "多边形 polygon" : "重叠区全部 whole overlap");
        Row(sb, "参数 Parameters", "<code>" + E(run.ParametersJson) + "</code>");
        Row(sb, "软件版本 Software", E(run.SoftwareVersion));
        Row(sb, "开始 / 结束 Started / finished", E(run.Started.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)) + " / " +
            E(run.Finished?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "—"));
        var byState = findings.GroupBy(f => f.Review).ToDictionary(x => x.Key, x => x.Count());
        Row(sb, "发现 Findings", $"{findings.Count} (待核查 pending {byState.GetValueOrDefault(ReviewState.Pending)}, 已确认 confirmed {byState.GetValueOrDefault(ReviewState.Confirmed)}, 已排除 dismissed {byState.GetValueOrDefault(ReviewState.Dismissed)}; 许可范围内 permitted {findings.Count(f => f.Permitted)})");
        sb.Append("</table>\n");
        if (findings.Count > MaxFindings)
            sb.Append("<p>仅前 ").Append(MaxFindings).Append(" 条发现附影像切片 (image chips for the first ").Append(MaxFindings).Append(" findings only).</p>\n");

        var index = 0;
        foreach (var f in findings)
        {
            ct.ThrowIfCancellationRequested();
            index++;
            var p = f.Polygon.InteriorPoint;
            sb.Append("<div class=\"finding\" id=\"f-").Append(E(f.Id)).Append("\">\n<h2>").Append(index).Append(". ")
              .Append(E(FindingViews.KindLabelZh(f.Kind))).Append(" <small>").Append(E(FindingViews.KindText(f.Kind))).Append(" · ")
              .Append(E(f.Id)).Append("</small></h2>\n<table>\n");
            Row(sb, "核查 Review", $"<span class=\"{E(FindingViews.ReviewText(f.Review))}\">{E(FindingViews.ReviewLabelZh(f.Review))} {E(FindingViews.ReviewText(f.Review))}</span>" +
                (f.ReviewerKeyId is null ? "" : $" · {E(f.ReviewerKeyId)} · {E(f.ReviewedAt?.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture))}") +
                (string.IsNullOrEmpty(f.ReviewComment) ? "" : $"<br />{E(f.ReviewComment)}"));
            Row(sb, "面积 Area", N(f.AreaM2) + " m²");
            Row(sb, "高差 Height change (mean / max)", N(f.MeanDh, "0.00") + " / " + N(f.MaxDh, "0.00") + " m");
            Row(sb, "置信度 Confidence", N(f.Confidence, "0.00"));
            Row(sb, "位置 Location (EPSG:4490)", E(p.X.ToString("0.0000000", CultureInfo.InvariantCulture)) + ", " + E(p.Y.ToString("0.0000000", CultureInfo.InvariantCulture)));
            Row(sb, "责任网格 Grid", E(f.GridCode ?? "—"));
            Row(sb, "责任部门 (0101 私搭乱建) Department", E(f.DepartmentCode ?? "—"));
            Row(sb, "建设许可 Permit", f.Permitted ? "许可范围内 permitted: " + E(f.PermitId) : "无 none");
            sb.Append("</table>\n");
            if (index <= MaxFindings)
            {
                sb.Append("<div class=\"chips\">\n");
                foreach (var (before, label) in new[] { (true, "前期 before · " + run.BeforeSurveyId), (false, "后期 after · " + run.AfterSurveyId) })
                {
                    var chip = await app.ChipAsync(f, before, ct);
                    sb.Append("<figure>");
                    if (chip.IsOk)
                        sb.Append("<img class=\"chip\" alt=\"").Append(E(label)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(chip.Value)).Append("\" />");
                    else
                        sb.Append("<div>").Append(E(chip.Failure.Message)).Append("</div>");
                    sb.Append("<figcaption>").Append(E(label)).Append("</figcaption></figure>\n");
                }
                sb.Append("</div>\n");
            }
            sb.Append("</div>\n");
        }
        sb.Append("<p><small>生成于 Generated ").Append(E(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)))
          .Append(" · 汝州市数字化城管</small></p>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string head, string html) =>
        sb.Append("<tr><th>").Append(WebUtility.HtmlEncode(head)).Append("</th><td>").Append(html).Append("</td></tr>\n");
}
