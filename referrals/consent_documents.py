"""The printable consent form (42 CFR Part 2, §2.31), in English and Spanish; of the
criminal-justice kind (§2.35) too, with its recipient, period and irrevocability.

The legal wording lives here, per language, rather than in the UI's translation
catalogue: it is a document the client signs, reviewed as a whole.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from referrals.models import Consent, HeldCharge, Referral

TEXT = {
    "en": {
        "title": "Consent to disclose substance use disorder treatment information",
        "intro": "I, the person named below, authorize the disclosure of my information as follows.",
        "client": "Client",
        "dob": "Date of birth",
        "discloser": "Who may disclose",
        "recipients": "To whom",
        "referring_agency": "the referring agency",
        "what": "What information",
        "purpose": "Purpose",
        "revoke": "Right to revoke",
        "expiry": "This consent expires",
        "expiry_date": "on %(date)s",
        "expiry_event": "at the end of my treatment with the program that discloses it",
        "signature": "Signature of the client",
        "typed": "Signed (typed name)",
        "signed_on": "Date signed",
        "not_conditioned": (
            "My treatment, payment, enrollment or eligibility for benefits does not depend on whether I sign "
            "this consent. I may have a copy of it."
        ),
        "revoked": "This consent was revoked on %(date)s.",
        "scopes": {
            "status_only": "Whether I was referred and the status of the referral only",
            "status_outcomes": (
                "The status of the referral and its outcomes: intake, whether I am still engaged at 30, 60 and "
                "90 days, and how the referral closed"
            ),
            "full_record": "My full record with this program",
        },
        "notice_title": "Notice to recipients (42 CFR §2.32)",
        "notice": (
            "This information has been disclosed to you from records protected by federal confidentiality "
            "rules (42 CFR part 2). The federal rules prohibit you from making any further disclosure of "
            "information in this record that identifies a patient as having or having had a substance use "
            "disorder either directly, by reference to publicly available information, or through "
            "verification of such identification by another person unless further disclosure is expressly "
            "permitted by the written consent of the individual whose information is being disclosed or as "
            "otherwise permitted by 42 CFR part 2. A general authorization for the release of medical or "
            "other information is NOT sufficient for this purpose (see §2.31). The federal rules restrict any "
            "use of the information to investigate or prosecute with regard to a crime any patient with a "
            "substance use disorder, except as provided at §§2.12(c)(5) and 2.65."
        ),
        "revocation_terms": (
            "I may revoke this consent at any time, in writing or by telling my case manager, except to the "
            "extent that action has already been taken in reliance on it."
        ),
        "cj_title": "Consent to disclose to the criminal justice system (42 CFR §2.35)",
        "cj_intro": (
            "I, the person named below, authorize the disclosure of my information to the prosecutor's office or "
            "court deciding the charge held against me, as follows. I understand that whether I enter and stay in "
            "treatment is a condition of how that charge is decided."
        ),
        "cj_scope": "Whether I entered treatment and stayed in it, for the charge held under case number %(case)s",
        "cj_revoke": (
            "This consent cannot be revoked before the final disposition of the case it is given for (the charge "
            "held decided: its condition met or not met, or the charge withdrawn), or before it expires, whichever "
            "comes first. A revocation I ask for earlier is recorded with its date and takes effect at that moment."
        ),
        "cj_redisclosure": (
            "Whoever receives this information under this consent may use and disclose it only to carry out their "
            "official duties with regard to the case for which it was given (42 CFR §2.35(d))."
        ),
        "revocation_pending": "A revocation was asked on %(date)s; it takes effect at the final disposition.",
    },
    "es": {
        "title": (
            "Consentimiento para divulgar información sobre el tratamiento de trastornos por consumo de sustancias"
        ),
        "intro": "Yo, la persona nombrada abajo, autorizo la divulgación de mi información de la siguiente manera.",
        "client": "Cliente",
        "dob": "Fecha de nacimiento",
        "discloser": "Quién puede divulgar",
        "recipients": "A quién",
        "referring_agency": "la agencia que refirió",
        "what": "Qué información",
        "purpose": "Propósito",
        "revoke": "Derecho a revocar",
        "expiry": "Este consentimiento vence",
        "expiry_date": "el %(date)s",
        "expiry_event": "al terminar mi tratamiento con el programa que divulga la información",
        "signature": "Firma del cliente",
        "typed": "Firmado (nombre escrito)",
        "signed_on": "Fecha de la firma",
        "not_conditioned": (
            "Mi tratamiento, pago, inscripción o elegibilidad para beneficios no dependen de que firme este "
            "consentimiento. Puedo recibir una copia."
        ),
        "revoked": "Este consentimiento fue revocado el %(date)s.",
        "scopes": {
            "status_only": "Solo si fui referido y el estado del referido",
            "status_outcomes": (
                "El estado del referido y sus resultados: la admisión, si sigo participando a los 30, 60 y "
                "90 días, y cómo se cerró el referido"
            ),
            "full_record": "Mi expediente completo con este programa",
        },
        "notice_title": "Aviso a los destinatarios (42 CFR §2.32)",
        "notice": (
            "Esta información se le ha divulgado a partir de registros protegidos por las normas federales de "
            "confidencialidad (42 CFR parte 2). Las normas federales le prohíben divulgar nuevamente "
            "información de este registro que identifique a un paciente como persona que tiene o ha tenido un "
            "trastorno por consumo de sustancias, ya sea directamente, por referencia a información "
            "públicamente disponible o mediante la verificación de dicha identificación por otra persona, a "
            "menos que la nueva divulgación esté expresamente permitida por el consentimiento por escrito de la "
            "persona cuya información se divulga o que esté permitida de otro modo por 42 CFR parte 2. Una "
            "autorización general para divulgar información médica o de otro tipo NO es suficiente para este "
            "propósito (véase §2.31). Las normas federales restringen el uso de la información para investigar "
            "o procesar penalmente a cualquier paciente con un trastorno por consumo de sustancias, salvo lo "
            "dispuesto en §§2.12(c)(5) y 2.65."
        ),
        "revocation_terms": (
            "Puedo revocar este consentimiento en cualquier momento, por escrito o diciéndoselo a mi "
            "administrador de casos, excepto en la medida en que ya se hayan tomado acciones basadas en él."
        ),
        "cj_title": "Consentimiento para divulgar información al sistema de justicia penal (42 CFR §2.35)",
        "cj_intro": (
            "Yo, la persona nombrada abajo, autorizo la divulgación de mi información a la fiscalía o al tribunal "
            "que decide el cargo en suspenso en mi contra, de la siguiente manera. Entiendo que ingresar al "
            "tratamiento y permanecer en él es una condición de cómo se decide ese cargo."
        ),
        "cj_scope": (
            "Si ingresé al tratamiento y si permanecí en él, para el cargo en suspenso con el número de caso %(case)s"
        ),
        "cj_revoke": (
            "Este consentimiento no puede revocarse antes de la resolución final del caso para el que se otorga "
            "(cuando se decida el cargo en suspenso: si se cumplió o no su condición, o si se retiró el cargo), ni "
            "antes de que venza, lo que ocurra primero. Una revocación que pida antes se registra con su fecha y "
            "surte efecto en ese momento."
        ),
        "cj_redisclosure": (
            "Quien reciba esta información con este consentimiento solo puede usarla y divulgarla para cumplir sus "
            "funciones oficiales en el caso para el que se otorgó (42 CFR §2.35(d))."
        ),
        "revocation_pending": "Se pidió la revocación el %(date)s; surte efecto con la resolución final.",
    },
}
LANGUAGES = tuple(TEXT)


def consent_document_context(
    *, referral: Referral, consent: Consent | None, language: str, charge: HeldCharge | None = None
) -> dict:
    """The form's words and parties: of the recorded consent, or blank for the client to sign
    (of the criminal-justice kind when given the referral's held charge)."""
    language = language if language in TEXT else "en"
    if consent is not None:
        criminal_justice = consent.kind == Consent.Kind.CRIMINAL_JUSTICE
        charge = (
            HeldCharge.objects.select_related("decider").filter(referral=referral).first() if criminal_justice else None
        )
    text = TEXT[language]
    revoked = ""
    if consent is not None and consent.revoked_at:
        revoked = text["revoked"] % {"date": timezone.localdate(consent.revoked_at).isoformat()}
    elif consent is not None and consent.revocation_pending:
        revoked = text["revocation_pending"] % {"date": timezone.localdate(consent.revocation_asked_at).isoformat()}
    expiry = text["expiry_date"] % {"date": consent.expires_on.isoformat()} if consent and consent.expires_on else ""
    context = {
        "t": text,
        "language": language,
        "referral": referral,
        "client": referral.client,
        "consent": consent,
        "discloser": referral.partner.name,
        "chosen_scope": consent.scope if consent else "",
        "expiry": expiry,
        "revoked": revoked,
    }
    if charge is not None:
        # The §2.35 form: its own title, recipient, scope, irrevocability and redisclosure limit.
        scope = Consent.Scope.TREATMENT_ATTENDANCE.value
        context["t"] = {
            **text,
            "title": text["cj_title"],
            "intro": text["cj_intro"],
            "revocation_terms": text["cj_revoke"],
            "notice": f"{text['notice']} {text['cj_redisclosure']}",
        }
        return {
            **context,
            "recipients": [charge.decider.name],
            "scopes": {scope: text["cj_scope"] % {"case": charge.case_number}},
            "chosen_scope": scope,
        }
    recipients: list[str] = []
    if consent is None or consent.recipient_agency_id:
        recipients.append(f"{referral.agency.name} ({text['referring_agency']})")
    if consent is not None:
        recipients += [p.name for p in consent.recipient_partners.all()]
    return {**context, "recipients": recipients, "scopes": text["scopes"], "expiry": expiry or text["expiry_event"]}


def render_consent_pdf(
    *, referral: Referral, consent: Consent | None, language: str, charge: HeldCharge | None = None
) -> bytes:
    # Imported here: WeasyPrint loads native libraries, needed only when printing.
    from weasyprint import HTML

    html = render_to_string(
        "referrals/consent_document.html",
        consent_document_context(referral=referral, consent=consent, language=language, charge=charge),
    )
    # No base_url: the document loads nothing from outside itself.
    return HTML(string=html).write_pdf()
