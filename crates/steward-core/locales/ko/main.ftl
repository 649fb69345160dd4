## API 오류
error-malformed_json = 요청 본문이 이 엔드포인트에 맞는 올바른 JSON이 아닙니다.
error-invalid_field = 요청의 필드 형식이나 값이 잘못되었습니다.
error-payload_too_large = 요청 본문이 1 MiB 제한을 초과합니다.
error-bad_compression = 요청 본문의 압축을 풀 수 없습니다.
error-unsupported_media_type = 요청 본문은 JSON이어야 합니다(Content-Type: application/json).
error-unauthorized = 자격 증명이 없거나 올바르지 않습니다.
error-forbidden = 현재 역할로는 이 작업을 할 수 없습니다.
error-not_found = 해당 개체가 없습니다.
error-method_not_allowed = 이 경로에서는 허용되지 않는 메서드입니다.
error-invalid_cursor = 페이지 커서가 올바르지 않습니다. 첫 페이지부터 다시 시작하세요.
error-invalid_query = 쿼리 매개변수 값이 잘못되었습니다.
error-unknown_token = 알 수 없는 등록 토큰입니다.
error-token_expired = 등록 토큰이 만료되었습니다.
error-token_exhausted = 등록 토큰의 최대 사용 횟수에 도달했습니다.
error-token_revoked = 등록 토큰이 취소되었습니다.
error-platform_not_allowed = 이 플랫폼은 이 토큰으로 등록할 수 없습니다.
error-malformed_request = 등록 요청이 불완전하거나 잘못된 필드가 있습니다.
error-duplicate_device = 이 장치는 이미 등록되어 있습니다. 먼저 기존 기록을 사용 중지하세요.
error-invalid_credentials = 이메일 주소 또는 비밀번호가 올바르지 않습니다.
error-account_locked = 로그인 실패가 너무 많아 계정이 잠시 잠겼습니다. 나중에 다시 시도하거나 관리자에게 문의하세요.
error-csrf_mismatch = 요청에 올바른 CSRF 토큰이 없습니다. 페이지를 새로 고친 후 다시 시도하세요.
error-conflict = 이미 존재하는 개체입니다.
error-device_retired = 이 장치는 사용 중지되어 더 이상 체크인할 수 없습니다.
error-overloaded = 서버가 사용 중입니다. 잠시 후 다시 시도하세요.
error-internal = 내부 오류가 발생했으며 기록되었습니다.

## 홈 페이지
home-title = Steward
home-running = Steward가 실행 중입니다.
home-links = API 설명, 상태 및 메트릭:

## 명령줄
cli-error = 오류: { $message }
cli-serve-listening = Steward가 { $url }에서 수신 대기 중입니다(저장소: { $backend }).
cli-demo-starting = 시뮬레이션 장치 { $count }대로 데모를 시작합니다…
cli-demo-ready = { $secs }초 후 데모가 준비되었습니다.
cli-demo-url = 서버: { $url }
cli-demo-admin = 관리자: { $email }   비밀번호: { $password }
cli-demo-api-token = API 토큰(관리자): { $token }
cli-demo-enroll-token = 등록 토큰: { $token }
cli-demo-fleet = 시뮬레이션 장치 { $count }대가 { $interval }초마다 체크인합니다.
cli-demo-try = 사용해 보기: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = 중지하려면 Ctrl-C를 누르세요.
cli-token-created = { $role } 역할의 API 토큰을 만들었습니다. 한 번만 표시됩니다:
cli-enroll-token-created = 등록 토큰을 만들었습니다. 한 번만 표시됩니다:
cli-enroll-token-revoked = 등록 토큰 { $id }을(를) 취소했습니다.
cli-user-created = { $role } 역할의 사용자 { $email }을(를) 만들었습니다.
cli-user-password = 비밀번호(한 번만 표시): { $password }
cli-invalid-role = 알 수 없는 역할 "{ $role }"입니다. administrator, operator, helpdesk, readonly 중 하나를 사용하세요.
cli-sim-summary = 시뮬레이션 완료: 장치 { $enrolled }대 등록, 등록 거부 { $refused }건, 체크인 { $checkins }회, 오류 { $errors }건.

## 에이전트
agent-enrolled = 장치 { $id }(으)로 등록되었습니다.
agent-checked-in = 체크인 완료(시퀀스 { $seq }). 다음 체크인은 { $secs }초 후입니다.
agent-not-enrolled = 이 장치는 아직 등록되지 않았습니다. 실행: steward-agent enroll --server URL --token 토큰
agent-server-error = 서버가 요청을 거부했습니다: { $message }
agent-unreachable = 서버에 연결할 수 없습니다: { $message }
agent-scan-clean = 검사 완료: { $paths }에서 위협이 발견되지 않았습니다.
agent-scan-found = 검사 완료: 위협 { $count }개 발견:
agent-status-os = 운영 체제
agent-status-host = 호스트 이름
agent-status-protection = 엔드포인트 보호
agent-status-signatures = 서명 날짜
agent-status-firewall = 방화벽 활성
agent-status-encryption = 디스크 암호화
agent-status-disks = 디스크 여유 공간
agent-status-boot = 부팅 시각
agent-status-users = 로그인한 사용자
agent-status-updates = 대기 중인 업데이트
agent-status-updates-count = { $count }개 (보안 { $security }개)
agent-status-unknown = 알 수 없음
agent-status-unknown-because = 알 수 없음: { $reason }
agent-status-yes = 예
agent-status-no = 아니요
