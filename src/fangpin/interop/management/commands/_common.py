from django.core.management.base import CommandError

from fangpin.areas.models import Division, Level


def resolve_county(code: str | None, profile_key: str | None) -> Division:
    if code:
        county = Division.objects.filter(code=code, level=Level.COUNTY).first()
        if county is None:
            raise CommandError(f"没有区划代码为 {code} 的县（区）")
        return county
    if profile_key:
        county = Division.objects.filter(level=Level.COUNTY, profile_key=profile_key).order_by("code").first()
        if county is None:
            from fangpin.profiles.services import profile_by_key

            county = Division.objects.filter(code=profile_by_key(profile_key).county_code, level=Level.COUNTY).first()
        if county is None:
            raise CommandError(f"库中没有政策画像 {profile_key} 对应的县（区）")
        return county
    raise CommandError("请用 --county 或 --profile 指定县（区）")
